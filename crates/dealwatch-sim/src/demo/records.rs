//! Typed records of the demo account in their Firehose snapshot shape, and the change
//! tracking that fills an update's `previous`.

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::catalog::{CustomFieldSeed, NamedSeed, CATALOG_CREATED_AT};

/// The `meta` object of a nested record, such as `{"type": "tag"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TypeMeta {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TagData {
    pub(crate) id: u64,
    pub(crate) name: &'static str,
    pub(crate) resource_type: &'static str,
}

/// A tag as embedded in a snapshot: `{"data": {"id", "name", "resource_type"},
/// "meta": {"type": "tag"}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TagRef {
    pub(crate) data: TagData,
    pub(crate) meta: TypeMeta,
}

impl TagRef {
    pub(crate) fn new(tag: &NamedSeed, resource_type: &'static str) -> Self {
        TagRef {
            data: TagData {
                id: tag.id,
                name: tag.name,
                resource_type,
            },
            meta: TypeMeta { kind: "tag" },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CustomFieldData {
    pub(crate) id: u64,
    pub(crate) name: &'static str,
    pub(crate) resource_type: &'static str,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CustomFieldRef {
    pub(crate) data: CustomFieldData,
    pub(crate) meta: TypeMeta,
}

/// One entry of `custom_field_values`: the value and the field it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CustomFieldValue {
    pub(crate) value: Value,
    pub(crate) custom_field: CustomFieldRef,
}

impl CustomFieldValue {
    pub(crate) fn new(field: &CustomFieldSeed, value: Value) -> Self {
        CustomFieldValue {
            value,
            custom_field: CustomFieldRef {
                data: CustomFieldData {
                    id: field.id,
                    name: field.name,
                    resource_type: "deal",
                    kind: field.kind,
                },
                meta: TypeMeta {
                    kind: "custom_field",
                },
            },
        }
    }
}

/// A deal snapshot with every field that Sell documents for the deals stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Deal {
    pub(crate) id: u64,
    pub(crate) name: String,
    /// Decimal string with two places, such as `"1200.00"`.
    pub(crate) value: String,
    pub(crate) currency: &'static str,
    pub(crate) hot: bool,
    pub(crate) stage_id: u64,
    pub(crate) owner_id: u64,
    pub(crate) creator_id: u64,
    pub(crate) contact_id: Option<u64>,
    pub(crate) organization_id: Option<u64>,
    pub(crate) source_id: Option<u64>,
    pub(crate) loss_reason_id: Option<u64>,
    pub(crate) last_stage_change_at: String,
    pub(crate) last_stage_change_by_id: Option<u64>,
    pub(crate) estimated_close_date: Option<String>,
    pub(crate) customized_win_likelihood: Option<u32>,
    pub(crate) dropbox_email: String,
    pub(crate) created_at: String,
    pub(crate) tags: Vec<TagRef>,
    pub(crate) custom_field_values: Vec<CustomFieldValue>,
    /// Value in cents, kept beside `value` so that changes need no parsing.
    #[serde(skip)]
    pub(crate) value_cents: u64,
    /// Organization name used in the deal's name.
    #[serde(skip)]
    pub(crate) account_name: &'static str,
    /// Product used in the deal's name.
    #[serde(skip)]
    pub(crate) product: &'static str,
}

/// Formats cents as a decimal string with two places, such as `"1200.00"`.
pub(crate) fn format_cents(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A postal address as embedded in leads and contacts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Address {
    pub(crate) line1: String,
    pub(crate) city: &'static str,
    pub(crate) postal_code: String,
    pub(crate) state: Option<&'static str>,
    pub(crate) country: &'static str,
}

/// A lead snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Lead {
    pub(crate) id: u64,
    pub(crate) owner_id: u64,
    pub(crate) creator_id: u64,
    pub(crate) source_id: Option<u64>,
    pub(crate) first_name: &'static str,
    pub(crate) last_name: &'static str,
    pub(crate) organization_name: &'static str,
    /// `New`, `Working` or `Unqualified`.
    pub(crate) status: &'static str,
    pub(crate) title: &'static str,
    pub(crate) description: Option<String>,
    pub(crate) industry: &'static str,
    pub(crate) website: Option<String>,
    pub(crate) email: String,
    pub(crate) phone: String,
    pub(crate) mobile: Option<String>,
    pub(crate) fax: Option<String>,
    pub(crate) twitter: Option<String>,
    pub(crate) facebook: Option<String>,
    pub(crate) linkedin: Option<String>,
    pub(crate) skype: Option<String>,
    pub(crate) address: Address,
    pub(crate) tags: Vec<TagRef>,
    pub(crate) custom_field_values: Vec<CustomFieldValue>,
    pub(crate) created_at: String,
}

/// A contact snapshot: a person or an organization.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Contact {
    pub(crate) id: u64,
    pub(crate) creator_id: u64,
    pub(crate) owner_id: u64,
    pub(crate) is_organization: bool,
    /// For a person, the organization the person works for.
    pub(crate) contact_id: Option<u64>,
    pub(crate) name: String,
    pub(crate) first_name: Option<&'static str>,
    pub(crate) last_name: Option<&'static str>,
    /// `none`, `current` or `past`.
    pub(crate) customer_status: &'static str,
    /// `none`, `current` or `lost`.
    pub(crate) prospect_status: &'static str,
    pub(crate) title: Option<&'static str>,
    pub(crate) description: Option<String>,
    pub(crate) industry: Option<&'static str>,
    pub(crate) website: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) mobile: Option<String>,
    pub(crate) address: Address,
    pub(crate) tags: Vec<TagRef>,
    pub(crate) custom_field_values: Vec<CustomFieldValue>,
    pub(crate) created_at: String,
}

impl Contact {
    /// Returns the contact in the Core API v2 shape, where `tags` is a list of names
    /// and custom fields are an object keyed by field name.
    pub(crate) fn to_v2_json(&self, updated_at: &str) -> Value {
        let tags: Vec<&str> = self.tags.iter().map(|tag| tag.data.name).collect();
        let updated_at = if updated_at.is_empty() {
            CATALOG_CREATED_AT
        } else {
            updated_at
        };
        json!({
            "id": self.id,
            "creator_id": self.creator_id,
            "owner_id": self.owner_id,
            "is_organization": self.is_organization,
            "contact_id": self.contact_id,
            "parent_organization_id": null,
            "name": self.name,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "customer_status": self.customer_status,
            "prospect_status": self.prospect_status,
            "title": self.title,
            "description": self.description,
            "industry": self.industry,
            "website": self.website,
            "email": self.email,
            "phone": self.phone,
            "mobile": self.mobile,
            "fax": null,
            "twitter": null,
            "facebook": null,
            "linkedin": null,
            "skype": null,
            "address": self.address,
            "billing_address": null,
            "shipping_address": null,
            "tags": tags,
            "custom_fields": {},
            "created_at": self.created_at,
            "updated_at": updated_at,
        })
    }
}

/// Old values of the fields that one update changed, which become the event's
/// `previous`.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    previous: Map<String, Value>,
}

impl Changes {
    /// Sets `field` to `new` and records the old value under `key`, unless the two
    /// are equal. A field set twice keeps its first old value.
    pub(crate) fn set<T: PartialEq + Serialize>(&mut self, key: &str, field: &mut T, new: T) {
        if *field == new {
            return;
        }
        let old = std::mem::replace(field, new);
        if !self.previous.contains_key(key) {
            let old = serde_json::to_value(old).unwrap_or(Value::Null);
            self.previous.insert(key.to_owned(), old);
        }
    }

    pub(crate) fn into_previous(self) -> Map<String, Value> {
        self.previous
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_format_as_decimal_string() {
        assert_eq!(format_cents(120_000), "1200.00");
        assert_eq!(format_cents(149_999), "1499.99");
        assert_eq!(format_cents(5), "0.05");
    }

    #[test]
    fn changes_record_only_real_changes() {
        let mut name = "Website".to_owned();
        let mut hot = false;
        let mut changes = Changes::default();
        changes.set("name", &mut name, "Website Redesign".to_owned());
        changes.set("hot", &mut hot, false);
        assert_eq!(name, "Website Redesign");
        assert_eq!(
            Value::Object(changes.into_previous()),
            json!({"name": "Website"})
        );
    }

    #[test]
    fn changes_keep_first_old_value() {
        let mut value = "50.00".to_owned();
        let mut changes = Changes::default();
        changes.set("value", &mut value, "75.00".to_owned());
        changes.set("value", &mut value, "100.00".to_owned());
        assert_eq!(
            Value::Object(changes.into_previous()),
            json!({"value": "50.00"})
        );
    }
}

//! The fixed records of the demo account: users, pipelines, stages, loss reasons,
//! deal sources, tags, custom fields, organizations and their people.
//!
//! Names and addresses are invented. E-mail addresses use the reserved
//! `example.com` domain.

use serde_json::{json, Value};

use super::fake_data::{email_for, organization_address};
use super::records::Contact;

/// Creation time stamped on every catalog record.
pub(crate) const CATALOG_CREATED_AT: &str = "2023-01-09T09:00:00Z";

pub(crate) struct UserSeed {
    pub(crate) id: u64,
    pub(crate) name: &'static str,
    pub(crate) email: &'static str,
    pub(crate) role: &'static str,
    pub(crate) timezone: &'static str,
    pub(crate) team: &'static str,
}

/// Sales users. The first one owns the simulator's token and is served as
/// `/v2/users/self`.
pub(crate) const USERS: [UserSeed; 6] = [
    UserSeed {
        id: 1_212_137,
        name: "Maya Lindqvist",
        email: "maya.lindqvist@example.com",
        role: "admin",
        timezone: "Europe/Stockholm",
        team: "Leadership",
    },
    UserSeed {
        id: 1_212_204,
        name: "Jonah Okafor",
        email: "jonah.okafor@example.com",
        role: "user",
        timezone: "America/New_York",
        team: "Enterprise",
    },
    UserSeed {
        id: 1_212_318,
        name: "Priya Raman",
        email: "priya.raman@example.com",
        role: "user",
        timezone: "Europe/London",
        team: "Enterprise",
    },
    UserSeed {
        id: 1_212_455,
        name: "Lucas Moreau",
        email: "lucas.moreau@example.com",
        role: "user",
        timezone: "Europe/Paris",
        team: "Mid-market",
    },
    UserSeed {
        id: 1_212_590,
        name: "Hannah Becker",
        email: "hannah.becker@example.com",
        role: "user",
        timezone: "Europe/Berlin",
        team: "Mid-market",
    },
    UserSeed {
        id: 1_212_733,
        name: "Diego Alvarez",
        email: "diego.alvarez@example.com",
        role: "user",
        timezone: "America/Mexico_City",
        team: "Partnerships",
    },
];

pub(crate) const SELF_USER_ID: u64 = USERS[0].id;

pub(crate) struct PipelineSeed {
    pub(crate) id: u64,
    pub(crate) name: &'static str,
}

pub(crate) const PIPELINES: [PipelineSeed; 2] = [
    PipelineSeed {
        id: 1_083_411,
        name: "Sales Pipeline",
    },
    PipelineSeed {
        id: 1_083_412,
        name: "Partnerships",
    },
];

/// Sell's stage categories.
pub(crate) const INCOMING: &str = "incoming";
pub(crate) const IN_PROGRESS: &str = "in_progress";
pub(crate) const WON: &str = "won";
pub(crate) const LOST: &str = "lost";

pub(crate) struct StageSeed {
    pub(crate) id: u64,
    pub(crate) pipeline_id: u64,
    pub(crate) name: &'static str,
    pub(crate) category: &'static str,
    /// Order of the stage within its pipeline, from 1.
    pub(crate) position: u32,
    /// Win likelihood in percent.
    pub(crate) likelihood: u32,
}

const fn stage(
    id: u64,
    pipeline_id: u64,
    name: &'static str,
    category: &'static str,
    position: u32,
    likelihood: u32,
) -> StageSeed {
    StageSeed {
        id,
        pipeline_id,
        name,
        category,
        position,
        likelihood,
    }
}

/// Stages of both pipelines, each pipeline's in its order.
pub(crate) const STAGES: [StageSeed; 11] = [
    stage(6_961_511, 1_083_411, "Incoming", INCOMING, 1, 10),
    stage(6_961_514, 1_083_411, "Qualified", IN_PROGRESS, 2, 25),
    stage(6_961_518, 1_083_411, "Quote", IN_PROGRESS, 3, 50),
    stage(6_961_522, 1_083_411, "Closure", IN_PROGRESS, 4, 75),
    stage(6_961_525, 1_083_411, "Won", WON, 5, 100),
    stage(6_961_529, 1_083_411, "Lost", LOST, 6, 0),
    stage(6_962_003, 1_083_412, "Incoming", INCOMING, 1, 10),
    stage(6_962_007, 1_083_412, "Discovery", IN_PROGRESS, 2, 30),
    stage(6_962_011, 1_083_412, "Proposal", IN_PROGRESS, 3, 60),
    stage(6_962_015, 1_083_412, "Won", WON, 4, 100),
    stage(6_962_019, 1_083_412, "Lost", LOST, 5, 0),
];

pub(crate) fn stage_by_id(id: u64) -> Option<&'static StageSeed> {
    STAGES.iter().find(|stage| stage.id == id)
}

/// Returns the stages of a pipeline that a deal moves through before it closes,
/// in order.
pub(crate) fn open_stages(pipeline_id: u64) -> impl Iterator<Item = &'static StageSeed> {
    STAGES.iter().filter(move |stage| {
        stage.pipeline_id == pipeline_id
            && (stage.category == INCOMING || stage.category == IN_PROGRESS)
    })
}

/// Returns the pipeline's stage of the given category, `won` or `lost`.
pub(crate) fn closing_stage(pipeline_id: u64, category: &str) -> Option<&'static StageSeed> {
    STAGES
        .iter()
        .find(|stage| stage.pipeline_id == pipeline_id && stage.category == category)
}

pub(crate) struct NamedSeed {
    pub(crate) id: u64,
    pub(crate) name: &'static str,
}

pub(crate) const LOSS_REASONS: [NamedSeed; 5] = [
    NamedSeed {
        id: 118_201,
        name: "Too expensive",
    },
    NamedSeed {
        id: 118_202,
        name: "Chose a competitor",
    },
    NamedSeed {
        id: 118_203,
        name: "No budget this year",
    },
    NamedSeed {
        id: 118_204,
        name: "Bad timing",
    },
    NamedSeed {
        id: 118_205,
        name: "Stopped responding",
    },
];

pub(crate) const DEAL_SOURCES: [NamedSeed; 5] = [
    NamedSeed {
        id: 204_511,
        name: "Website",
    },
    NamedSeed {
        id: 204_512,
        name: "Referral",
    },
    NamedSeed {
        id: 204_513,
        name: "Trade show",
    },
    NamedSeed {
        id: 204_514,
        name: "Outbound call",
    },
    NamedSeed {
        id: 204_515,
        name: "Partner",
    },
];

pub(crate) const DEAL_TAGS: [NamedSeed; 6] = [
    NamedSeed {
        id: 331_101,
        name: "enterprise",
    },
    NamedSeed {
        id: 331_102,
        name: "smb",
    },
    NamedSeed {
        id: 331_103,
        name: "renewal",
    },
    NamedSeed {
        id: 331_104,
        name: "upsell",
    },
    NamedSeed {
        id: 331_105,
        name: "priority",
    },
    NamedSeed {
        id: 331_106,
        name: "multi-year",
    },
];

pub(crate) const LEAD_TAGS: [NamedSeed; 3] = [
    NamedSeed {
        id: 331_201,
        name: "webinar",
    },
    NamedSeed {
        id: 331_202,
        name: "inbound",
    },
    NamedSeed {
        id: 331_203,
        name: "event-2024",
    },
];

/// A custom field on deals, with the values the generator picks from.
pub(crate) struct CustomFieldSeed {
    pub(crate) id: u64,
    pub(crate) name: &'static str,
    /// Sell's custom field type: `list`, `number`, `bool` or `string`.
    pub(crate) kind: &'static str,
    pub(crate) choices: fn() -> Vec<Value>,
}

pub(crate) const DEAL_CUSTOM_FIELDS: [CustomFieldSeed; 4] = [
    CustomFieldSeed {
        id: 52_301,
        name: "Product line",
        kind: "list",
        choices: || {
            vec![
                json!("Core platform"),
                json!("Analytics add-on"),
                json!("Support plan"),
                json!("Professional services"),
            ]
        },
    },
    CustomFieldSeed {
        id: 52_302,
        name: "Contract length (months)",
        kind: "number",
        choices: || vec![json!(6), json!(12), json!(24), json!(36)],
    },
    CustomFieldSeed {
        id: 52_303,
        name: "Renewal",
        kind: "bool",
        choices: || vec![json!(true), json!(false)],
    },
    CustomFieldSeed {
        id: 52_304,
        name: "Competitor",
        kind: "string",
        choices: || {
            vec![
                json!("In-house spreadsheet"),
                json!("Another CRM vendor"),
                json!("None known"),
            ]
        },
    },
];

pub(crate) struct OrganizationSeed {
    pub(crate) id: u64,
    pub(crate) name: &'static str,
    pub(crate) industry: &'static str,
    pub(crate) domain: &'static str,
    pub(crate) city: &'static str,
    pub(crate) country: &'static str,
}

const fn organization(
    id: u64,
    name: &'static str,
    industry: &'static str,
    domain: &'static str,
    city: &'static str,
    country: &'static str,
) -> OrganizationSeed {
    OrganizationSeed {
        id,
        name,
        industry,
        domain,
        city,
        country,
    }
}

pub(crate) const ORGANIZATIONS: [OrganizationSeed; 12] = [
    organization(
        174_840_101,
        "Northwind Traders",
        "Wholesale",
        "northwind.example.com",
        "Seattle",
        "US",
    ),
    organization(
        174_840_102,
        "Bluefin Logistics",
        "Transportation",
        "bluefin.example.com",
        "Rotterdam",
        "NL",
    ),
    organization(
        174_840_103,
        "Harbor & Finch",
        "Legal services",
        "harborfinch.example.com",
        "Boston",
        "US",
    ),
    organization(
        174_840_104,
        "Kestrel Analytics",
        "Software",
        "kestrel.example.com",
        "Manchester",
        "GB",
    ),
    organization(
        174_840_105,
        "Orchard Lane Foods",
        "Food production",
        "orchardlane.example.com",
        "Lyon",
        "FR",
    ),
    organization(
        174_840_106,
        "Tallgrass Energy",
        "Utilities",
        "tallgrass.example.com",
        "Calgary",
        "CA",
    ),
    organization(
        174_840_107,
        "Meridian Health Partners",
        "Healthcare",
        "meridianhealth.example.com",
        "Chicago",
        "US",
    ),
    organization(
        174_840_108,
        "Copperline Studio",
        "Design",
        "copperline.example.com",
        "Berlin",
        "DE",
    ),
    organization(
        174_840_109,
        "Silverpeak Outdoor",
        "Retail",
        "silverpeak.example.com",
        "Denver",
        "US",
    ),
    organization(
        174_840_110,
        "Lumen Works",
        "Manufacturing",
        "lumenworks.example.com",
        "Eindhoven",
        "NL",
    ),
    organization(
        174_840_111,
        "Atlas Freight Group",
        "Transportation",
        "atlasfreight.example.com",
        "Sydney",
        "AU",
    ),
    organization(
        174_840_112,
        "Greenway Clinics",
        "Healthcare",
        "greenway.example.com",
        "Edinburgh",
        "GB",
    ),
];

pub(crate) fn organization_by_id(id: u64) -> Option<&'static OrganizationSeed> {
    ORGANIZATIONS
        .iter()
        .find(|organization| organization.id == id)
}

pub(crate) struct PersonSeed {
    pub(crate) id: u64,
    pub(crate) first_name: &'static str,
    pub(crate) last_name: &'static str,
    pub(crate) title: &'static str,
    pub(crate) organization_id: u64,
}

const fn person(
    id: u64,
    first_name: &'static str,
    last_name: &'static str,
    title: &'static str,
    organization_id: u64,
) -> PersonSeed {
    PersonSeed {
        id,
        first_name,
        last_name,
        title,
        organization_id,
    }
}

/// One or two contacts per organization.
pub(crate) const PEOPLE: [PersonSeed; 16] = [
    person(
        174_841_170,
        "Grace",
        "Holloway",
        "VP Operations",
        174_840_101,
    ),
    person(
        174_841_171,
        "Tom",
        "Reyes",
        "Purchasing Manager",
        174_840_101,
    ),
    person(
        174_841_172,
        "Annelies",
        "de Vries",
        "Head of IT",
        174_840_102,
    ),
    person(
        174_841_173,
        "Marcus",
        "Bell",
        "Managing Partner",
        174_840_103,
    ),
    person(174_841_174, "Olivia", "Chen", "CTO", 174_840_104),
    person(174_841_175, "Ravi", "Menon", "Data Lead", 174_840_104),
    person(
        174_841_176,
        "Camille",
        "Durand",
        "Operations Director",
        174_840_105,
    ),
    person(
        174_841_177,
        "Ethan",
        "Walsh",
        "Procurement Lead",
        174_840_106,
    ),
    person(174_841_178, "Sofia", "Petrova", "CIO", 174_840_107),
    person(174_841_179, "Daniel", "Kim", "IT Manager", 174_840_107),
    person(174_841_180, "Lena", "Schmidt", "Founder", 174_840_108),
    person(
        174_841_181,
        "Noah",
        "Carter",
        "Store Operations",
        174_840_109,
    ),
    person(174_841_182, "Fleur", "Jansen", "Plant Manager", 174_840_110),
    person(
        174_841_183,
        "Jack",
        "Mitchell",
        "Finance Director",
        174_840_111,
    ),
    person(
        174_841_184,
        "Isla",
        "Fraser",
        "Practice Manager",
        174_840_112,
    ),
    person(
        174_841_185,
        "Aidan",
        "Murray",
        "Head of Procurement",
        174_840_112,
    ),
];

/// Returns the Core API v2 data of a user.
pub(crate) fn user_json(user: &UserSeed) -> Value {
    json!({
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "status": "active",
        "role": user.role,
        "confirmed": true,
        "invited": false,
        "phone_number": null,
        "timezone": user.timezone,
        "team_name": user.team,
        "group": null,
        "reports_to": null,
        "sell_login_disabled": false,
        "created_at": CATALOG_CREATED_AT,
        "updated_at": CATALOG_CREATED_AT,
        "deleted_at": null,
    })
}

pub(crate) fn pipeline_json(pipeline: &PipelineSeed) -> Value {
    json!({
        "id": pipeline.id,
        "name": pipeline.name,
        "disabled": false,
        "created_at": CATALOG_CREATED_AT,
        "updated_at": CATALOG_CREATED_AT,
    })
}

pub(crate) fn stage_json(stage: &StageSeed) -> Value {
    json!({
        "id": stage.id,
        "name": stage.name,
        "category": stage.category,
        "active": true,
        "position": stage.position,
        "likelihood": stage.likelihood,
        "pipeline_id": stage.pipeline_id,
        "created_at": CATALOG_CREATED_AT,
        "updated_at": CATALOG_CREATED_AT,
    })
}

pub(crate) fn loss_reason_json(reason: &NamedSeed) -> Value {
    json!({
        "id": reason.id,
        "name": reason.name,
        "creator_id": SELF_USER_ID,
        "created_at": CATALOG_CREATED_AT,
        "updated_at": CATALOG_CREATED_AT,
    })
}

pub(crate) fn deal_source_json(source: &NamedSeed) -> Value {
    json!({
        "id": source.id,
        "name": source.name,
        "resource_type": "deal",
        "creator_id": SELF_USER_ID,
        "created_at": CATALOG_CREATED_AT,
        "updated_at": CATALOG_CREATED_AT,
    })
}

/// Returns the catalog organizations and people as contact records.
pub(crate) fn catalog_contacts() -> Vec<Contact> {
    let created_at = CATALOG_CREATED_AT.to_owned();
    let organizations = ORGANIZATIONS.iter().map(|organization| Contact {
        id: organization.id,
        creator_id: SELF_USER_ID,
        owner_id: SELF_USER_ID,
        is_organization: true,
        contact_id: None,
        name: organization.name.to_owned(),
        first_name: None,
        last_name: None,
        customer_status: if organization.id % 3 == 0 {
            "current"
        } else {
            "none"
        },
        prospect_status: "current",
        title: None,
        description: None,
        industry: Some(organization.industry),
        website: Some(format!("https://{}", organization.domain)),
        email: Some(format!("info@{}", organization.domain)),
        phone: Some(format!("+1 555-01{:02}", organization.id % 100)),
        mobile: None,
        address: organization_address(organization.city, organization.country, organization.id),
        tags: Vec::new(),
        custom_field_values: Vec::new(),
        created_at: created_at.clone(),
    });
    let people = PEOPLE.iter().map(|person| {
        let organization = organization_by_id(person.organization_id);
        let domain = organization.map_or("example.com", |organization| organization.domain);
        Contact {
            id: person.id,
            creator_id: SELF_USER_ID,
            owner_id: SELF_USER_ID,
            is_organization: false,
            contact_id: Some(person.organization_id),
            name: format!("{} {}", person.first_name, person.last_name),
            first_name: Some(person.first_name),
            last_name: Some(person.last_name),
            customer_status: "none",
            prospect_status: "current",
            title: Some(person.title),
            description: None,
            industry: None,
            website: None,
            email: Some(email_for(person.first_name, person.last_name, domain)),
            phone: Some(format!("+1 555-01{:02}", person.id % 100)),
            mobile: None,
            address: organization_address(
                organization.map_or("Seattle", |organization| organization.city),
                organization.map_or("US", |organization| organization.country),
                person.id,
            ),
            tags: Vec::new(),
            custom_field_values: Vec::new(),
            created_at: created_at.clone(),
        }
    });
    organizations.chain(people).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_pipeline_has_open_won_and_lost_stages() {
        for pipeline in &PIPELINES {
            assert!(open_stages(pipeline.id).count() >= 2, "{}", pipeline.name);
            assert!(
                closing_stage(pipeline.id, WON).is_some(),
                "{}",
                pipeline.name
            );
            assert!(
                closing_stage(pipeline.id, LOST).is_some(),
                "{}",
                pipeline.name
            );
        }
    }

    #[test]
    fn stage_positions_increase() {
        for pipeline in &PIPELINES {
            let positions: Vec<u32> = STAGES
                .iter()
                .filter(|stage| stage.pipeline_id == pipeline.id)
                .map(|stage| stage.position)
                .collect();
            assert!(positions.windows(2).all(|pair| pair[0] < pair[1]));
        }
    }

    #[test]
    fn people_belong_to_known_organizations() {
        for person in &PEOPLE {
            assert!(organization_by_id(person.organization_id).is_some());
        }
    }

    #[test]
    fn ids_are_unique() {
        let ids: Vec<u64> = USERS
            .iter()
            .map(|user| user.id)
            .chain(STAGES.iter().map(|stage| stage.id))
            .chain(ORGANIZATIONS.iter().map(|organization| organization.id))
            .chain(PEOPLE.iter().map(|person| person.id))
            .collect();
        let unique: HashSet<u64> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len());
    }
}

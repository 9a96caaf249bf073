//! Random choices and invented contact details: phone numbers, addresses, domains
//! and e-mail addresses.

use rand::rngs::StdRng;
use rand::Rng;

use super::catalog::USERS;
use super::records::Address;
use super::words::{CITIES, STREETS};

/// Picks a choice with a probability proportional to its weight.
pub(super) fn pick_weighted(rng: &mut StdRng, choices: &[(&'static str, u32)]) -> &'static str {
    let total: u32 = choices.iter().map(|(_, weight)| weight).sum();
    let mut roll = rng.gen_range(0..total);
    for (choice, weight) in choices {
        if roll < *weight {
            return choice;
        }
        roll -= weight;
    }
    choices[0].0
}

/// Picks an entry of `choices` other than `current`.
pub(super) fn pick_other(
    rng: &mut StdRng,
    choices: &[&'static str],
    current: &str,
) -> &'static str {
    let others: Vec<&'static str> = choices
        .iter()
        .copied()
        .filter(|choice| *choice != current)
        .collect();
    others[rng.gen_range(0..others.len())]
}

/// Returns a number from the 555-0100 to 555-0199 range, which is reserved for
/// fiction in North America.
pub(super) fn random_phone(rng: &mut StdRng) -> String {
    format!("+1 555-01{:02}", rng.gen_range(0..100))
}

/// Returns a phone number other than `current`.
pub(super) fn fresh_phone(rng: &mut StdRng, current: Option<&str>) -> String {
    loop {
        let phone = random_phone(rng);
        if current != Some(phone.as_str()) {
            return phone;
        }
    }
}

pub(super) fn other_user_id(rng: &mut StdRng, current: u64) -> u64 {
    let others: Vec<u64> = USERS
        .iter()
        .map(|user| user.id)
        .filter(|id| *id != current)
        .collect();
    others[rng.gen_range(0..others.len())]
}

pub(super) fn random_address(rng: &mut StdRng) -> Address {
    let (city, state, country) = CITIES[rng.gen_range(0..CITIES.len())];
    Address {
        line1: format!(
            "{} {}",
            rng.gen_range(1..400),
            STREETS[rng.gen_range(0..STREETS.len())]
        ),
        city,
        postal_code: format!("{:05}", rng.gen_range(1_000..99_999)),
        state,
        country,
    }
}

pub(super) fn organization_address(city: &'static str, country: &'static str, id: u64) -> Address {
    Address {
        line1: format!("{} {}", id % 300 + 1, STREETS[(id % 8) as usize]),
        city,
        postal_code: format!("{:05}", id % 90_000 + 10_000),
        state: None,
        country,
    }
}

/// Builds a domain under `example.com` from a company name.
pub(super) fn domain_for(company: &str) -> String {
    let label: String = company
        .chars()
        .filter(|character| character.is_ascii_alphanumeric())
        .map(|character| character.to_ascii_lowercase())
        .collect();
    format!("{label}.example.com")
}

pub(super) fn email_for(first_name: &str, last_name: &str, domain: &str) -> String {
    let local: String = format!("{first_name}.{last_name}")
        .chars()
        .filter(|character| character.is_ascii_alphanumeric() || *character == '.')
        .map(|character| character.to_ascii_lowercase())
        .collect();
    format!("{local}@{domain}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn fresh_phone_differs_from_current() {
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..500 {
            let current = random_phone(&mut rng);
            assert_ne!(fresh_phone(&mut rng, Some(&current)), current);
        }
    }

    #[test]
    fn domains_and_emails_are_plain_ascii() {
        assert_eq!(
            domain_for("Maple & Oak Interiors"),
            "mapleoakinteriors.example.com"
        );
        assert_eq!(
            email_for("Annelies", "de Vries", "bluefin.example.com"),
            "annelies.devries@bluefin.example.com"
        );
    }
}

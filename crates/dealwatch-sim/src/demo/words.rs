//! Word lists for generated names. All people and companies are invented.

/// Products that deals sell. A deal is named after its organization and its product.
pub(crate) const PRODUCTS: [&str; 12] = [
    "Annual licence",
    "Website redesign",
    "Onboarding package",
    "Support renewal",
    "50-seat expansion",
    "Pilot project",
    "Data migration",
    "Analytics add-on",
    "Training workshop",
    "Security review",
    "Multi-site rollout",
    "Integration services",
];

/// Suffixes a rename may append to a deal's name.
pub(crate) const NAME_SUFFIXES: [&str; 5] = [
    " (phase 2)",
    " – revised scope",
    " 2025",
    " (EMEA)",
    " – 3-year term",
];

pub(crate) const FIRST_NAMES: [&str; 24] = [
    "Amelia", "Oscar", "Chloe", "Mateo", "Zara", "Felix", "Nadia", "Samuel", "Ingrid", "Kenji",
    "Leila", "Victor", "Ruth", "Omar", "Elena", "Patrick", "Yara", "Henrik", "Bianca", "Tariq",
    "Julia", "Connor", "Mei", "Andre",
];

pub(crate) const LAST_NAMES: [&str; 24] = [
    "Novak", "Hughes", "Sato", "Fischer", "Adeyemi", "Larsen", "Romano", "Brennan", "Costa",
    "Whitaker", "Nakamura", "Dubois", "Kowalski", "Ortiz", "Haddad", "Sinclair", "Berg",
    "Lindgren", "Patel", "Moreno", "Keller", "Quinn", "Varga", "Ali",
];

/// Companies of leads, which are not yet contacts.
pub(crate) const PROSPECT_COMPANIES: [&str; 14] = [
    "Brightwater Dental",
    "Cobalt Ridge Mining",
    "Fernhill Academy",
    "Granite Peak Realty",
    "Ivory Coast Coffee Co.",
    "Juniper Labs",
    "Maple & Oak Interiors",
    "Nimbus Aviation",
    "Pinewood Veterinary",
    "Quarry Street Bakery",
    "Redline Motorsport",
    "Saltmarsh Brewing",
    "Tidewater Insurance",
    "Westbrook Hotels",
];

pub(crate) const INDUSTRIES: [&str; 8] = [
    "Healthcare",
    "Education",
    "Real estate",
    "Hospitality",
    "Insurance",
    "Manufacturing",
    "Retail",
    "Software",
];

pub(crate) const JOB_TITLES: [&str; 12] = [
    "Office Manager",
    "Head of Sales",
    "Operations Lead",
    "IT Director",
    "Owner",
    "Finance Manager",
    "Procurement Specialist",
    "COO",
    "Marketing Director",
    "Product Manager",
    "Facilities Manager",
    "General Manager",
];

/// Cities with a state (where the country uses one) and country code.
pub(crate) const CITIES: [(&str, Option<&str>, &str); 10] = [
    ("Austin", Some("TX"), "US"),
    ("Portland", Some("OR"), "US"),
    ("Toronto", Some("ON"), "CA"),
    ("Leeds", None, "GB"),
    ("Dublin", None, "IE"),
    ("Hamburg", None, "DE"),
    ("Utrecht", None, "NL"),
    ("Barcelona", None, "ES"),
    ("Melbourne", Some("VIC"), "AU"),
    ("Gothenburg", None, "SE"),
];

pub(crate) const STREETS: [&str; 8] = [
    "Market Street",
    "Harbour Road",
    "Elm Avenue",
    "King Street",
    "Mill Lane",
    "Station Road",
    "Park Avenue",
    "Riverside Drive",
];

/// ISO 4217 currencies with their weights in the generated mix.
pub(crate) const CURRENCIES: [(&str, u32); 6] = [
    ("USD", 50),
    ("EUR", 25),
    ("GBP", 12),
    ("CAD", 5),
    ("AUD", 5),
    ("SEK", 3),
];

//! The access token, and the one place that talks to the OS keyring.
//!
//! The token lives in the keyring entry (service `dealwatch`, user `default`)
//! and in memory. Its `Debug` output is redacted and it has no `Display`, so
//! it cannot slip into a log line or an error message by accident.

use std::fmt;
use std::sync::mpsc;
use std::time::Duration;

/// Keyring service name, shared by the app and `dealwatch token`.
pub const KEYRING_SERVICE: &str = "dealwatch";
/// Keyring user name.
pub const KEYRING_USER: &str = "default";
/// How long a keyring call may take before it is abandoned. A locked keyring
/// with a display can wait forever behind an unlock prompt.
pub const KEYRING_TIMEOUT: Duration = Duration::from_secs(10);

/// A Sell access token.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token after trimming surrounding whitespace. Returns `None`
    /// for an empty token or one with characters that cannot go in an HTTP header.
    pub fn new(text: &str) -> Option<Token> {
        let text = text.trim();
        let valid = !text.is_empty() && text.bytes().all(|b| (0x21..0x7f).contains(&b));
        valid.then(|| Token(text.to_owned()))
    }

    /// The token's text, for the `Authorization` header and the keyring only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(redacted)")
    }
}

/// The reason the keyring could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    #[error("no usable keyring: {0}. Install and unlock GNOME Keyring, KWallet or KeePassXC (any Secret Service provider).")]
    Unavailable(String),
    #[error("the keyring is locked. Unlock it (for example by logging in to the desktop again) and retry.")]
    Locked,
    #[error(
        "the keyring did not answer within {0} seconds; it may be waiting for an unlock prompt"
    )]
    TimedOut(u64),
    #[error("the keyring failed: {0}")]
    Failed(String),
}

/// Reads the stored token. `Ok(None)` means the keyring works and contains no token.
pub fn load() -> Result<Option<Token>, KeyringError> {
    with_entry(|entry| match entry.get_password() {
        Ok(text) => Ok(Token::new(&text)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(err) => Err(classify(err)),
    })
}

/// Stores the token, replacing any earlier one.
pub fn store(token: &Token) -> Result<(), KeyringError> {
    let secret = token.clone();
    with_entry(move |entry| entry.set_password(secret.expose()).map_err(classify))
}

/// Removes the stored token. Returns whether there was one.
pub fn clear() -> Result<bool, KeyringError> {
    with_entry(|entry| match entry.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(err) => Err(classify(err)),
    })
}

/// Checks that the keyring can be reached, without reading the secret.
pub fn probe() -> Result<(), KeyringError> {
    load().map(|_| ())
}

/// Runs one keyring operation on its own thread, so that a call stuck behind
/// an unlock prompt costs a thread and not the caller.
fn with_entry<T, F>(operation: F) -> Result<T, KeyringError>
where
    T: Send + 'static,
    F: FnOnce(&keyring::Entry) -> Result<T, KeyringError> + Send + 'static,
{
    check_session_bus()?;
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name("keyring".into())
        .spawn(move || {
            let result = keyring::Entry::new(KEYRING_SERVICE, KEYRING_USER)
                .map_err(classify)
                .and_then(|entry| {
                    ensure_persistent(&entry)?;
                    operation(&entry)
                });
            let _ = sender.send(result);
        })
        .map_err(|err| KeyringError::Failed(format!("could not start a thread: {err}")))?;

    match receiver.recv_timeout(KEYRING_TIMEOUT) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(KeyringError::TimedOut(KEYRING_TIMEOUT.as_secs()))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(KeyringError::Failed(
            "the keyring call ended without an answer".into(),
        )),
    }
}

/// Rejects the in-memory mock store, which `keyring` uses when it was built
/// without a platform store and which loses the token at exit.
fn ensure_persistent(entry: &keyring::Entry) -> Result<(), KeyringError> {
    let credential = entry.get_credential();
    if credential
        .downcast_ref::<keyring::mock::MockCredential>()
        .is_some()
    {
        return Err(KeyringError::Unavailable(
            "this build of Dealwatch has no OS keyring support".into(),
        ));
    }
    Ok(())
}

/// On Linux the Secret Service is reached over the D-Bus session bus. Without
/// one, libdbus may launch a stray private bus, so the call is not attempted.
fn check_session_bus() -> Result<(), KeyringError> {
    if !cfg!(target_os = "linux") {
        return Ok(());
    }
    let address = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    if address.starts_with("disabled:") {
        return Err(KeyringError::Unavailable(
            "the D-Bus session bus is disabled".into(),
        ));
    }
    if address.is_empty() {
        let runtime_bus = std::env::var_os("XDG_RUNTIME_DIR")
            .map(|dir| std::path::Path::new(&dir).join("bus"))
            .filter(|path| path.exists());
        if runtime_bus.is_none() {
            return Err(KeyringError::Unavailable(
                "there is no D-Bus session bus".into(),
            ));
        }
    }
    Ok(())
}

fn classify(err: keyring::Error) -> KeyringError {
    match err {
        keyring::Error::NoStorageAccess(inner) => {
            let text = inner.to_string();
            if text.contains("Prompt") || text.to_lowercase().contains("locked") {
                KeyringError::Locked
            } else {
                KeyringError::Unavailable(format!("the keyring has no usable collection ({text})"))
            }
        }
        keyring::Error::PlatformFailure(inner) => {
            let text = inner.to_string();
            if text.contains("ServiceUnknown") || text.contains("was not provided by any") {
                KeyringError::Unavailable("no Secret Service is running on the session bus".into())
            } else if text.contains("autolaunch") || text.contains("Unable to") {
                KeyringError::Unavailable("there is no D-Bus session bus".into())
            } else {
                KeyringError::Failed(text)
            }
        }
        other => KeyringError::Failed(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_debug_is_redacted() {
        let token = Token::new("  secret-value\n").unwrap();
        assert_eq!(token.expose(), "secret-value");
        assert_eq!(format!("{token:?}"), "Token(redacted)");
    }

    #[test]
    fn token_rejects_empty_and_control_characters() {
        assert!(Token::new("   ").is_none());
        assert!(Token::new("abc\u{0}def").is_none());
        assert!(Token::new("abc def").is_none());
        assert!(Token::new("ÄÖ").is_none());
    }

    #[test]
    fn build_uses_a_persistent_store() {
        let entry = keyring::Entry::new("dealwatch-build-check", "nobody").unwrap();
        assert!(
            ensure_persistent(&entry).is_ok(),
            "keyring was built without a platform store"
        );
    }
}

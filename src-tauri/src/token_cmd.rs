//! `dealwatch token set|status|clear`.

use std::io::{IsTerminal, Read};

use dealwatch_core::token::{self, Token};

use crate::cli::TokenAction;
use crate::exit::Exit;

pub fn run(action: TokenAction) -> Result<(), Exit> {
    match action {
        TokenAction::Set => set(),
        TokenAction::Status => status(),
        TokenAction::Clear => clear(),
    }
}

/// Reads the token from stdin, never from an argument, where it would show
/// in the process list and the shell history.
fn set() -> Result<(), Exit> {
    let stdin = std::io::stdin();
    let text = if stdin.is_terminal() {
        rpassword::prompt_password("Paste the Sell access token and press Enter: ")
            .map_err(|err| Exit::failure(format!("could not read the token: {err}")))?
    } else {
        let mut input = String::new();
        stdin.lock().read_to_string(&mut input).map_err(|err| {
            Exit::failure(format!(
                "could not read the token from standard input: {err}"
            ))
        })?;
        let mut lines = input.lines().map(str::trim).filter(|line| !line.is_empty());
        let first = lines.next().unwrap_or_default().to_owned();
        if lines.next().is_some() {
            return Err(Exit::usage(
                "standard input holds more than one line; give the token alone, on one line."
                    .to_owned(),
            ));
        }
        first
    };
    let token = Token::new(&text).ok_or_else(|| {
        Exit::usage(
            "the token on standard input is empty or invalid: it must be one line of printable ASCII without spaces."
                .to_owned(),
        )
    })?;
    token::store(&token)
        .map_err(|err| Exit::failure(format!("could not store the token: {err}")))?;
    println!("Stored the token in the OS keyring.");
    Ok(())
}

fn status() -> Result<(), Exit> {
    if std::env::var_os("DEALWATCH_TOKEN").is_some() {
        println!("DEALWATCH_TOKEN is set; `dealwatch tail` uses it before the keyring.");
    }
    match token::load() {
        Ok(Some(_)) => {
            println!("A token is stored in the OS keyring.");
            Ok(())
        }
        Ok(None) => Err(Exit::failure(
            "no token is stored in the OS keyring. Run `dealwatch token set` to store one."
                .to_owned(),
        )),
        Err(err) => Err(Exit::failure(format!("could not read the keyring: {err}"))),
    }
}

fn clear() -> Result<(), Exit> {
    match token::clear() {
        Ok(true) => println!("Removed the token from the OS keyring."),
        Ok(false) => println!("No token was stored in the OS keyring."),
        Err(err) => return Err(Exit::failure(format!("could not remove the token: {err}"))),
    }
    Ok(())
}

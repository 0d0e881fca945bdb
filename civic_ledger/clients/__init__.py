"""Pure helpers behind the admin commands: contract instances + signer in, results out."""

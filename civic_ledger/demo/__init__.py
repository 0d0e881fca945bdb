"""The end-to-end city demo (`ape run demo`): a narrated scenario whose every step is verified
on chain after it is sent."""

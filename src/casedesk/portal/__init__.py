"""The customers' portal: sign-in by magic link, their cases, the web-to-case form."""

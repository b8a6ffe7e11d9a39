"""Pure inbound-mail parsing: raw RFC 5322 bytes in, a plain ``ParsedMessage`` out
(`parsing.message.parse_message`).

No database and no Django: the ingestion service stores the raw message first and then calls
``parse_message``; anything that raises ``Unparseable`` is quarantined, never dropped.

Mail from the wild is broken in every way imaginable, so everything here is lenient:
messages are split with the ``compat32`` policy, which never interprets a header on its own
(the modern ``email.policy.default`` header objects raise or leave surrogates on unknown
charsets and bad base64, and building them cost more than half of the parsing time), headers
are decoded from their raw values by our own encoded-word decoder (`charsets`), and bodies are
decoded with a charset fallback chain.

The modules, by concern: `charsets` (text in any charset, encoded words), `fields` (header
fields: addresses, Message-IDs, dates), `body` (the MIME tree: text parts and attachments),
`html` (sanitising HTML and reading it as text), `automatic` (mail a robot sent), `quoting`
(a reply's own words apart from the history it quotes), and `message` (the entry point).
"""

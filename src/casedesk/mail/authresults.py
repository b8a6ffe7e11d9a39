"""Sender authentication of inbound mail, as the receiving server reported it.

casedesk checks no signature and looks up no DNS itself: the mail server that received the
message (Postfix with OpenDKIM/OpenDMARC, rspamd, Gmail, Microsoft 365 …) did, and wrote its
findings into an `Authentication-Results` header (RFC 8601). This module reads that header,
with the `authres` library, and says whether the From domain passed or failed.

Which header is trusted. Anyone can write an `Authentication-Results` header into the mail
they send, so only the receiving server's own counts (RFC 8601 §5 and §7.2):
- when the tenant names the receiving server's authserv-id(s) (`Tenant.mail_authserv_ids`,
  e.g. `mx.example.com`), only headers that carry one of those ids are read, the topmost of
  them (a conforming server removes forged headers claiming its id);
- when it names none, only the topmost header is read: servers prepend it, so the topmost one
  is the last hop's — ours, when the receiving server adds one at all. A header forged further
  down is never read. (A server that adds none leaves the topmost to the sender; the worst a
  forger gains then is the absence of a warning, which is where we started.)

The verdict, for the From domain:
- DMARC `fail` is a failure and `pass` a pass; any other DMARC answer (`none`: no policy
  published, `temperror`, `permerror`) counts as no DMARC at all; DMARC checked for another
  From domain than the one read here (a message with two From headers shows one and is
  judged by the other) is a failure;
- without DMARC, DKIM or SPF must pass *for the From domain* (the DKIM `d=`, the SPF
  MAIL FROM domain, aligned with it as DMARC's relaxed mode would, without the public-suffix
  list): a pass for another domain proves nothing about this one. No such pass among the DKIM
  and SPF results reported is a failure; no DKIM or SPF result at all (or only temporary
  errors) is no verdict.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import authres
import authres.dmarc

if TYPE_CHECKING:
    from casedesk.mail.parsing.message import ParsedMessage
    from casedesk.tenancy.models import Tenant

PASS, FAIL, UNKNOWN = "pass", "fail", ""
MAX_SUMMARY = 500
_FEATURES = authres.FeatureContext(authres.dmarc)


@dataclass(frozen=True)
class AuthVerdict:
    verdict: str  # "pass", "fail", or "" when nothing trusted was reported
    summary: str  # for people: what the trusted header said, and about which domain

    @property
    def failed(self) -> bool:
        return self.verdict == FAIL


NOT_REPORTED = AuthVerdict(UNKNOWN, "")


def authentication(tenant: Tenant, parsed: ParsedMessage) -> AuthVerdict:
    """The sender authentication the receiving server reported for a message's From domain,
    from the Authentication-Results header the tenant trusts."""
    return sender_authentication(parsed.authentication_results, parsed.from_address,
                                 trusted_ids(tenant.mail_authserv_ids))


def trusted_ids(setting: str) -> frozenset[str]:
    """The authserv-ids a tenant's setting names (comma- or space-separated, any case)."""
    return frozenset(part.strip().lower() for part in setting.replace(",", " ").split()
                     if part.strip())


def sender_authentication(headers: list[str], from_address: str,
                          trusted: Collection[str] = ()) -> AuthVerdict:
    """The verdict for the From address's domain from the trusted one of `headers` (the
    message's Authentication-Results values, topmost first). Never raises: a header that
    cannot be read gives no verdict."""
    domain = _domain(from_address)
    if not domain or not headers:
        return NOT_REPORTED
    header = _trusted_header(headers, trusted)
    if header is None:
        return NOT_REPORTED
    server = str(header.authserv_id or "")
    results = list(header.results)
    said = "; ".join(_describe(r) for r in results)[:300]
    dmarc = [r for r in results if _method(r) == "dmarc"
             and _domain(_prop(r, "header", "from")) in ("", domain)]
    verdicts = {_result(r) for r in dmarc}
    if FAIL in verdicts:
        return _verdict(FAIL, f"DMARC failed for {domain}", server, said)
    if PASS in verdicts:
        return _verdict(PASS, f"DMARC passed for {domain}", server, said)
    others = sorted({_domain(_prop(r, "header", "from")) for r in results
                     if _method(r) == "dmarc"} - {"", domain})
    if others and not dmarc:
        # The server judged another From than the one read here: two From headers?
        return _verdict(FAIL, f"DMARC was checked for {others[0]}, not for {domain}", server,
                        said)
    checks = [r for r in results if _method(r) in ("dkim", "spf")]
    if any(_result(r) == PASS and _aligned(_identity(r), domain) for r in checks):
        return _verdict(PASS, f"DKIM or SPF passed for {domain}", server, said)
    if any(_result(r) != "temperror" for r in checks):
        return _verdict(FAIL, f"No DKIM or SPF pass for {domain}", server, said)
    return NOT_REPORTED


def _trusted_header(headers: list[str], trusted: Collection[str]) -> Any | None:
    """The header to believe: the topmost carrying a trusted id, or (none named) the
    topmost of all."""
    wanted = {t.lower() for t in trusted}
    for value in headers if wanted else headers[:1]:
        try:
            header = _FEATURES.parse_value(" ".join(value.split()))
        except Exception:  # noqa: BLE001 - authres raises its own errors and a few others
            continue
        if not wanted or str(header.authserv_id or "").lower() in wanted:
            return header
    return None


def _verdict(verdict: str, finding: str, server: str, said: str) -> AuthVerdict:
    return AuthVerdict(verdict, f"{finding} (reported by {server or 'the receiving server'}: "
                                f"{said or 'no results'})"[:MAX_SUMMARY])


def _method(result: Any) -> str:
    return str(getattr(result, "method", "") or "").lower()


def _result(result: Any) -> str:
    return str(getattr(result, "result", "") or "").lower()


def _prop(result: Any, ptype: str, name: str) -> str:
    for prop in _properties(result):
        if prop.type == ptype and prop.name == name and prop.value is not None:
            return str(prop.value)
    return ""


def _properties(result: Any) -> Iterable[Any]:
    return getattr(result, "properties", None) or []


def _identity(result: Any) -> str:
    """The domain a DKIM or SPF result vouches for."""
    if _method(result) == "dkim":
        return _domain(_prop(result, "header", "d") or _prop(result, "header", "i"))
    return _domain(_prop(result, "smtp", "mailfrom") or _prop(result, "smtp", "helo"))


def _domain(value: str) -> str:
    """The domain of an address (or a bare domain), lower case, without a trailing dot."""
    return value.strip().strip("<>").rpartition("@")[2].strip().rstrip(".").lower()


def _aligned(identity: str, domain: str) -> bool:
    """Relaxed alignment without the public-suffix list: the same domain, or one a
    subdomain of the other, where the shorter still has a dot (never a bare TLD)."""
    if not identity or not domain:
        return False
    if identity == domain:
        return True
    shorter, longer = sorted((identity, domain), key=len)
    return "." in shorter and longer.endswith("." + shorter)


def _describe(result: Any) -> str:
    props = " ".join(f"{p.type}.{p.name}={p.value}" for p in _properties(result)
                     if p.value is not None and (p.type, p.name) != ("header", "b"))
    return f"{_method(result)}={_result(result)}" + (f" {props}" if props else "")


__all__ = ["FAIL", "NOT_REPORTED", "PASS", "UNKNOWN", "AuthVerdict", "sender_authentication",
           "trusted_ids"]

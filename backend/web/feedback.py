# SPDX-License-Identifier: EUPL-1.2
"""What pages tell people after an action: flash keys carried in the redirect's query string, and the
translated text for a service's failure."""

from __future__ import annotations

from backend.errors import BackendError
from backend.web.i18n import N_

#: `?done=<key>` after a successful POST → the sentence shown in the status region.
DONE = {
    "claimed": N_("You claimed the task. Do it before the deadline and send your proof."),
    "submitted": N_("Your proof was sent. An officer will check it soon."),
    "withdrawn": N_("You gave the task back."),
    "paid": N_("Payment sent. The shop sees it in a moment."),
    "refunded": N_("The refund is on its way to the customer."),
    "payout": N_("Payout requested. The municipality pays it into your bank account."),
    "staff-added": N_("Staff member added."),
    "staff-removed": N_("Staff member removed."),
    "task-created": N_("Task published."),
    "approved": N_("Approved. The reward is being paid."),
    "rejected": N_("Rejected. The citizen sees your reason."),
    "enrolled": N_("Enrolment approved."),
    "enrolment-rejected": N_("Enrolment rejected."),
    "batch-built": N_("Settlement batch built."),
    "batch-confirmed": N_("Batch confirmed with the bank reference."),
    "batch-approved": N_("Second approval recorded."),
    "line-rejected": N_("Line rejected; the Heitjes go back to the merchant."),
    "recovery-started": N_("Recovery started. A second officer must approve it."),
    "recovery-approved": N_("Recovery approved."),
    "paused": N_("The ledger is paused."),
    "unpaused": N_("The ledger runs again."),
    "registered": N_("Thank you for registering. The municipality checks your details."),
    "logged-out": N_("You are logged out."),
}

#: Problem codes (see backend.errors) → a sentence in the person's language.
PROBLEMS = {
    "validation-failed": N_("Some of what you entered is not valid."),
    "unauthenticated": N_("The login, password or PIN is wrong."),
    "forbidden": N_("You are not allowed to do this."),
    "not-found": N_("This does not exist (any more)."),
    "conflict": N_("This is not possible in the current state."),
    "rate-limited": N_("Too many attempts. Wait a minute and try again."),
    "locked": N_("Locked after too many failed attempts. Try again in 15 minutes."),
    "payload-too-large": N_("The file is too large."),
    "unsupported-media-type": N_("This kind of file is not accepted. Send a photo (JPEG, PNG or WebP)."),
    "unavailable": N_("Temporarily unavailable. Try again later."),
    "ledger-paused": N_("The municipality has paused payments for a moment. Try again later."),
    "ledger-refused": N_("The ledger refused this."),
}
GENERIC_PROBLEM = N_("That did not work.")


def problem_text(exc: BackendError) -> tuple[str, str]:
    """(message id to translate, the service's own English detail)."""
    return PROBLEMS.get(exc.code, GENERIC_PROBLEM), exc.detail

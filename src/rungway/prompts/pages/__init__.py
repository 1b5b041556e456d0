"""The prompt library's dashboard pages: the list, a prompt, a version and its diff, the approval view.

A person does in the browser what `rungway prompts` does: read prompts and their history, compare
versions, create a version, approve or reject one, move a label. Every read and change goes through
the functions `/api/prompts` uses (`prompts.service`), with the same workload scope and role rules:
a viewer reads; a developer creates versions in their workload and moves labels the policy leaves
unprotected; a review needs a person's key and is never the author's; shared prompts are the admin's
to change. A refusal is the service's own message on a 4xx page. A request-log row that rendered a
prompt version links to that version.
"""

from __future__ import annotations

from rungway.web.pages import PageRouter

__all__ = ["pages"]

pages = PageRouter("prompts", templates="rungway.prompts.pages")
pages.link(
    "prompt_name",
    "prompt",
    "/ui/prompts/{value}/versions/{prompt_version}?workload={workload}",
    also=("prompt_version", "workload"),
)

from rungway.prompts.pages import actions, review, views  # noqa: E402, F401  (their pages join `pages` on import)

"""After the meeting: the summary (JSON, Markdown, HTML page), concerns and ratings.

Whoever reads a summary reads it through :func:`analytics.disclosure.summary_for`.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from analytics import rules
from analytics.disclosure import Reader, summary_for
from analytics.events import Role
from analytics.receipts import Receipt, receipts_for
from analytics.report import iso, render_html_fragment, render_markdown, to_json
from analytics.session import SessionState
from analytics.summary import Summary, summarise
from server.auth import Admin, Asker, Participant, require_session_access
from server.endpoints import act, decode_body, session_or_404
from server.errors import json_error
from server.keys import CONFIG, COURIER
from server.pages import LINK_HINT, error_page, render
from server.schemas import ConcernRequest, RatingRequest

__all__ = ["routes"]

routes = web.RouteTableDef()


def _reader(asker: Asker) -> Reader:
    return "mpm" if isinstance(asker, Admin) else asker.role


async def ended_summary(request: web.Request, state: SessionState, asker: Asker) -> Summary:
    """The session's summary as ``asker`` may read it, or 409 before the end."""
    if state.status != "ended":
        raise json_error(web.HTTPConflict, f"the session is {state.status}: no summary yet")
    return summary_for(summarise(state, request.app[CONFIG].summary), _reader(asker))


async def readable_session(request: web.Request) -> tuple[Asker, SessionState]:
    session_id = request.match_info["session_id"]
    asker = require_session_access(request.app[CONFIG], request, session_id, token_in_query=True)
    return asker, await session_or_404(request, session_id)


def _receipt_json(receipt: Receipt | None) -> dict[str, Any] | None:
    if receipt is None:
        return None
    return {"at": iso(receipt.at), "version": receipt.version, "status": receipt.status}


def own_receipts(request: web.Request, state: SessionState, role: Role) -> dict[str, Any]:
    """How far ``role``'s rating and concerns got towards the MPM, and nothing of the other's."""
    courier = request.app[COURIER]
    receipts = receipts_for(
        state,
        role,
        summary_channels=courier.channel_names,
        alert_channels=courier.alert_channel_names,
    )
    return {
        "rating": _receipt_json(receipts.rating),
        "concerns": [_receipt_json(receipt) for receipt in receipts.concerns],
    }


def _participant(asker: Asker) -> Role:
    if not isinstance(asker, Participant):
        raise json_error(web.HTTPForbidden, "receipts are for the participants")
    return asker.role


@routes.get("/api/sessions/{session_id}/summary")
async def summary_json(request: web.Request) -> web.Response:
    asker, state = await readable_session(request)
    return web.json_response(to_json(await ended_summary(request, state, asker)))


@routes.get("/api/sessions/{session_id}/summary.md")
async def summary_markdown(request: web.Request) -> web.Response:
    asker, state = await readable_session(request)
    markdown = render_markdown(await ended_summary(request, state, asker))
    return web.Response(text=markdown, content_type="text/markdown")


# What a participant reads instead of the summary, in words rather than the API's.
SUMMARY_ERROR_WORDS = {
    401: ("This link does not work", f"It cannot open this summary. {LINK_HINT}"),
    403: ("This link does not work", f"It is for another session. {LINK_HINT}"),
    404: ("No such session", "Ask your program manager for the right link."),
    409: (
        "No summary yet",
        "The session has not ended. Its summary appears here as soon as it does.",
    ),
}


@routes.get("/s/{session_id}/summary")
async def participant_summary_page(request: web.Request) -> web.StreamResponse:
    """The summary page at the participants' address, which answers errors as pages too."""
    try:
        return await summary_page(request)
    except web.HTTPError as error:
        if error.status in SUMMARY_ERROR_WORDS:
            return error_page(request, error.status, *SUMMARY_ERROR_WORDS[error.status])
        message = json.loads(error.text or "{}").get("error") or error.reason
        return error_page(request, error.status, "No summary to show", f"{message.capitalize()}.")


@routes.get("/api/sessions/{session_id}/summary.html")
async def summary_page(request: web.Request) -> web.Response:
    """The summary as a page; participants can also rate the meeting and raise concerns."""
    asker, state = await readable_session(request)
    summary = await ended_summary(request, state, asker)
    role = asker.role if isinstance(asker, Participant) else None
    return render(
        request,
        "summary.html",
        {
            "summary": summary,
            "fragment": render_html_fragment(summary),
            "actor": asker.actor,
            "rating": state.ratings.get(role) if role else None,
            "partner": summary.mentoree if role == "mentor" else summary.mentor,
        },
    )


@routes.get("/api/sessions/{session_id}/receipts")
async def receipts(request: web.Request) -> web.Response:
    """Whether the participant's own rating and concerns reached the MPM yet."""
    session_id = request.match_info["session_id"]
    role = _participant(require_session_access(request.app[CONFIG], request, session_id))
    state = await session_or_404(request, session_id)
    return web.json_response(own_receipts(request, state, role))


@routes.post("/api/sessions/{session_id}/concerns")
async def raise_concern(request: web.Request) -> web.Response:
    """Raise a concern; the answer says how far the author's own concerns got, no more."""
    session_id = request.match_info["session_id"]
    asker = require_session_access(request.app[CONFIG], request, session_id)
    body = await decode_body(request, ConcernRequest)
    text = body.text.strip()
    state = await act(
        request, session_id, lambda state, at: rules.raise_concern(state, asker.actor, text, at)
    )
    return web.json_response(own_receipts(request, state, _participant(asker)), status=201)


@routes.post("/api/sessions/{session_id}/rating")
async def rate_meeting(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    asker = require_session_access(request.app[CONFIG], request, session_id)
    body = await decode_body(request, RatingRequest)
    comment = body.comment.strip()
    state = await act(
        request,
        session_id,
        lambda state, at: rules.rate_meeting(
            state, asker.actor, body.score, comment, at, shared=body.shared
        ),
    )
    return web.json_response(
        {
            "score": body.score,
            "comment": comment,
            "shared": body.shared,
            **own_receipts(request, state, _participant(asker)),
        }
    )

"""JSON request bodies checked before FastAPI parses them: only what JSON itself means.

Python's JSON parser accepts more than JSON: NaN and Infinity, numbers that overflow to
infinity, integers of any size, strings with lone surrogates and nesting up to the
interpreter's recursion limit. Such values would travel into free-form fields (an inline
scenario, an imported plan, events) and fail far from the request, as a 500. A route of
``CheckedBodyRoute`` refuses them with 422 naming the field, before anything else runs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Coroutine
from email.message import Message
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from api.limits import LARGEST_JSON_INTEGER, MAX_JSON_DEPTH

Loc = list[str | int]

# A string (escapes included) or one structural character; numbers and literals are skipped.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]', re.DOTALL)
_DIGITS = len(str(LARGEST_JSON_INTEGER))
_TOO_DEEP = f"nested deeper than {MAX_JSON_DEPTH} levels of objects and arrays"


class _Refused:
    """A value the parser met that JSON does not allow; why, for the error message."""

    def __init__(self, why: str) -> None:
        self.why = why


def _constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a JSON number; give a finite number")


def _float(text: str) -> float | _Refused:
    value = float(text)
    return value if math.isfinite(value) else _Refused(f"{text[:30]} is beyond the range of a number")


def _int(text: str) -> int | _Refused:
    if len(text.lstrip("-")) <= _DIGITS and abs(value := int(text)) <= LARGEST_JSON_INTEGER:
        return value
    return _Refused(f"an integer of {len(text.lstrip('-'))} digits; at most {LARGEST_JSON_INTEGER}")


def _key(token: str) -> str:
    try:
        key = json.loads(token)
    except ValueError:
        key = token[1:-1]
    return str(key)


def _too_deep(text: str) -> Loc | None:
    """Where the first object or array nested deeper than MAX_JSON_DEPTH starts, if any.

    A scan of the text, not a parse, for a body too deep for the parser. Only for text
    the parser found well formed up to there: the scan stops at the first too deep level.
    """
    stack: list[list[Any]] = []  # per open container: [is object, key or index, key expected]
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == '"':
            if stack and stack[-1][0] and stack[-1][2]:
                stack[-1][1], stack[-1][2] = _key(token), False
        elif first in "[{":
            if len(stack) >= MAX_JSON_DEPTH:
                return [frame[1] for frame in stack]
            stack.append([first == "{", "" if first == "{" else 0, True])
        elif first in "]}":
            if stack:
                stack.pop()
        elif stack:  # a comma
            if stack[-1][0]:
                stack[-1][2] = True
            else:
                stack[-1][1] += 1
    return None


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # the only characters UTF-8 cannot encode are surrogates
        return True
    return False


def _refused(value: Any, loc: Loc, depth: int = 1) -> tuple[Loc, str] | None:
    """The first value under ``value`` that JSON does not allow or nests too deep, and why."""
    if isinstance(value, _Refused):
        return loc, value.why
    if isinstance(value, str):
        return (loc, "not valid Unicode text (a lone surrogate)") if _lone_surrogate(value) else None
    if isinstance(value, dict | list) and depth > MAX_JSON_DEPTH:
        return loc, _TOO_DEEP
    if isinstance(value, dict):
        for key, item in value.items():
            if _lone_surrogate(key):
                return [*loc, key], "the name is not valid Unicode text (a lone surrogate)"
            found = _refused(item, [*loc, key], depth + 1)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _refused(item, [*loc, index], depth + 1)
            if found is not None:
                return found
    return None


def body_problem(body: bytes) -> dict[str, Any] | None:
    """The 422 error (FastAPI's shape) for a body that is not plain JSON, or None.

    Text that is no JSON at all is left to FastAPI, which says so in its own words.
    """
    try:
        text = body.decode(json.detect_encoding(body), "surrogatepass")
    except UnicodeDecodeError:
        return _error([], "the body is not UTF-8 text")
    try:
        data = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except json.JSONDecodeError:
        return None
    except RecursionError:  # far deeper than the limit, and well formed that far
        return _error(_too_deep(text) or [], _TOO_DEEP)
    except ValueError:
        return _error([], "the body is not valid JSON")
    found = _refused(data, [])
    return None if found is None else _error(*found)


def _error(loc: Loc, message: str) -> dict[str, Any]:
    shown = [k if isinstance(k, int) else k.encode("utf-8", "backslashreplace").decode() for k in loc]
    return {"loc": ["body", *shown], "msg": message, "type": "value_error"}


def _is_json(content_type: str | None) -> bool:
    """Whether FastAPI parses a body of this content type as JSON (it does not without one)."""
    if not content_type:
        return False
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class CheckedBodyRoute(APIRoute):
    """A route whose JSON body is refused with 422 when it holds what JSON does not allow."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def checked(request: Request) -> Response:
            if _is_json(request.headers.get("content-type")):
                problem = await run_in_threadpool(body_problem, await request.body())
                if problem is not None:
                    return JSONResponse(status_code=422, content={"detail": [problem]})
            return await handler(request)

        return checked

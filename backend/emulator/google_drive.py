"""Drive v3 routes: files.copy (with spreadsheet content), files.update, get, list, delete."""

import re
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from backend.emulator.clock import iso_millis
from backend.emulator.errors import GoogleError, bad_request
from backend.emulator.google_common import base_url, google_body, routes_under, store_of
from backend.emulator.sheets_model import (
    FOLDER_MIME_TYPE,
    SPREADSHEET_MIME_TYPE,
    copy_spreadsheet,
    new_file_id,
    new_spreadsheet,
)
from backend.emulator.store import Store

log = structlog.get_logger(__name__)

API = "drive.v3"
# Metadata fields that files.create, files.copy and files.update store as given.
WRITABLE_FIELDS = ("description", "appProperties", "properties", "starred")


def file_not_found(file_id: str) -> GoogleError:
    return GoogleError(
        404,
        f"File not found: {file_id}.",
        reason="notFound",
        location="fileId",
        location_type="parameter",
    )


def web_view_link(base: str, file: dict[str, Any]) -> str:
    if file["mimeType"] == SPREADSHEET_MIME_TYPE:
        return f"{base}/sheets/d/{file['id']}/edit"
    if file["mimeType"] == FOLDER_MIME_TYPE:
        return f"{base}/drive/folders/{file['id']}"
    return f"{base}/file/d/{file['id']}/view"


def render_file(file: dict[str, Any], base: str) -> dict[str, Any]:
    """Return a File resource; every stored field is returned, whatever `fields` requests."""
    return {
        "kind": "drive#file",
        **file,
        "trashed": file.get("trashed", False),
        "webViewLink": web_view_link(base, file),
    }


def _get_file(store: Store, file_id: str) -> dict[str, Any]:
    file = store.get("drive_file", file_id)
    if file is None or file.get("deleted"):
        raise file_not_found(file_id)
    return file


def _check_parents(store: Store, parents: Any) -> list[str] | None:
    if parents is None:
        return None
    if len(parents) > 1:
        raise GoogleError(
            403,
            "Increasing the number of parents is not allowed.",
            reason="cannotAddParent",
            domain="global",
        )
    for parent in parents:
        folder = store.get("drive_file", parent)
        if folder is None or folder["mimeType"] != FOLDER_MIME_TYPE:
            raise GoogleError(
                404,
                f"File not found: {parent}.",
                reason="notFound",
                location="parents",
                location_type="other",
            )
    return list(parents)


def set_drive_quota(store: Store, max_files: int | None) -> None:
    """Limit how many files the Drive may hold (None: no limit), to drill a full Drive."""
    store.put("meta", "drive_quota", {"max_files": max_files})


def _check_quota(store: Store) -> None:
    # A service account's own Drive has no storage (Google, since 2024), so a copy it
    # makes into "My Drive" fails this way; the emulator counts files instead of bytes.
    quota = store.get("meta", "drive_quota") or {}
    max_files = quota.get("max_files")
    if max_files is not None and store.count("drive_file") >= max_files:
        raise GoogleError(
            403,
            "The user's Drive storage quota has been exceeded.",
            reason="storageQuotaExceeded",
            domain="usageLimits",
        )


async def files_copy(request: Request) -> Response:
    source_id = request.path_params["fileId"]
    body = await google_body(request, API, "files.copy")
    store = store_of(request)
    with store.transaction():
        source = _get_file(store, source_id)
        _check_quota(store)
        parents = _check_parents(store, body.get("parents"))
        stamp = iso_millis()
        copy = {
            "id": new_file_id(),
            "name": body.get("name") or f"Copy of {source['name']}",
            "mimeType": source["mimeType"],
            "parents": parents if parents is not None else list(source.get("parents", [])),
            "createdTime": stamp,
            "modifiedTime": stamp,
        }
        for field in WRITABLE_FIELDS:
            if field in body:
                copy[field] = body[field]
        if source["mimeType"] == SPREADSHEET_MIME_TYPE:
            spreadsheet = store.get("spreadsheet", source_id)
            if spreadsheet is not None:
                copied = copy_spreadsheet(spreadsheet, copy["id"], copy["name"])
                store.put("spreadsheet", copy["id"], copied)
        store.put("drive_file", copy["id"], copy, parent=(copy["parents"] or [None])[0])
    log.info("emulator.drive.file_copied", source_id=source_id, file_id=copy["id"])
    return JSONResponse(render_file(copy, base_url(request)))


async def files_create(request: Request) -> Response:
    body = await google_body(request, API, "files.create")
    store = store_of(request)
    with store.transaction():
        parents = _check_parents(store, body.get("parents")) or []
        stamp = iso_millis()
        file = {
            "id": body.get("id") or new_file_id(),
            "name": body.get("name") or "Untitled",
            "mimeType": body.get("mimeType") or "application/octet-stream",
            "parents": parents,
            "createdTime": stamp,
            "modifiedTime": stamp,
        }
        for field in WRITABLE_FIELDS:
            if field in body:
                file[field] = body[field]
        if file["mimeType"] == SPREADSHEET_MIME_TYPE:
            store.put(
                "spreadsheet", file["id"], new_spreadsheet(file["id"], file["name"], ["Sheet1"])
            )
        store.put("drive_file", file["id"], file, parent=(parents or [None])[0])
    log.info("emulator.drive.file_created", file_id=file["id"], mime_type=file["mimeType"])
    return JSONResponse(render_file(file, base_url(request)))


async def files_update(request: Request) -> Response:
    file_id = request.path_params["fileId"]
    body = await google_body(request, API, "files.update")
    store = store_of(request)
    with store.transaction():
        file = _get_file(store, file_id)
        if "name" in body:
            file["name"] = body["name"]
            spreadsheet = store.get("spreadsheet", file_id)
            if spreadsheet is not None:
                spreadsheet["title"] = body["name"]
                store.put("spreadsheet", file_id, spreadsheet)
        if "trashed" in body:
            file["trashed"] = bool(body["trashed"])
        for field in WRITABLE_FIELDS:
            if field in body:
                file[field] = body[field]
        parents = list(file.get("parents", []))
        removed = [
            item for item in request.query_params.get("removeParents", "").split(",") if item
        ]
        added = [item for item in request.query_params.get("addParents", "").split(",") if item]
        parents = [parent for parent in parents if parent not in removed]
        for parent in _check_parents(store, added) or []:
            if parent not in parents:
                parents.append(parent)
        file["parents"] = parents
        file["modifiedTime"] = iso_millis()
        store.put("drive_file", file_id, file, parent=(parents or [None])[0])
    return JSONResponse(render_file(file, base_url(request)))


async def files_get(request: Request) -> Response:
    file = _get_file(store_of(request), request.path_params["fileId"])
    return JSONResponse(render_file(file, base_url(request)))


async def files_delete(request: Request) -> Response:
    store = store_of(request)
    file_id = request.path_params["fileId"]
    with store.transaction():
        _get_file(store, file_id)
        store.delete("drive_file", file_id)
        store.delete("spreadsheet", file_id)
    return Response(status_code=204)


# Terms of a files.list query the emulator understands, joined with `and`.
_QUERY_TERMS = (
    (re.compile(r"^'([^']+)' in parents$"), lambda file, value: value in file.get("parents", [])),
    (re.compile(r"^name\s*=\s*'([^']*)'$"), lambda file, value: file["name"] == value),
    (re.compile(r"^name contains '([^']*)'$"), lambda file, value: value in file["name"]),
    (re.compile(r"^mimeType\s*=\s*'([^']*)'$"), lambda file, value: file["mimeType"] == value),
    (
        re.compile(r"^trashed\s*=\s*(true|false)$"),
        lambda file, value: file.get("trashed", False) == (value == "true"),
    ),
)


def _query_predicates(query: str) -> list[Any]:
    predicates = []
    for term in (part.strip() for part in re.split(r"\s+and\s+", query) if part.strip()):
        for pattern, test in _QUERY_TERMS:
            match = pattern.match(term)
            if match:
                value = match.group(1)
                predicates.append(lambda file, test=test, value=value: test(file, value))
                break
        else:
            raise bad_request(
                f"Invalid Value: the emulator does not support the query term {term!r}; "
                "use 'ID' in parents, name =, name contains, mimeType = or trashed = joined "
                "with and."
            )
    return predicates


async def files_list(request: Request) -> Response:
    predicates = _query_predicates(request.query_params.get("q", ""))
    files = [
        file
        for file in store_of(request).documents("drive_file")
        if all(predicate(file) for predicate in predicates)
    ]
    base = base_url(request)
    return JSONResponse(
        {
            "kind": "drive#fileList",
            "incompleteSearch": False,
            "files": [render_file(file, base) for file in files],
        }
    )


ROUTES = routes_under(
    ("/drive/v3",),
    [
        ("/files", files_list, ["GET"]),
        ("/files", files_create, ["POST"]),
        ("/files/{fileId}", files_get, ["GET"]),
        ("/files/{fileId}", files_update, ["PATCH"]),
        ("/files/{fileId}", files_delete, ["DELETE"]),
        ("/files/{fileId}/copy", files_copy, ["POST"]),
    ],
)

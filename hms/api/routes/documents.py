"""The documents of a completed visit (the visit summary and the prescription, as PDF) and their public
verification by the code each one carries."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from hms.api.deps import ClientIp, Context, CurrentUser
from hms.api.params import IdPath
from hms.api.problems import problem_responses
from hms.services import document_pdf, documents
from hms.services.documents import Verification
from hms.services.principal import Principal

router = APIRouter(tags=['documents'])

_PDF_RESPONSES = {
    200: {
        'content': {'application/pdf': {}},
        'description': 'the document as PDF, in the language of `Accept-Language`, with its verification QR code',
    },
    **problem_responses(
        401,
        403,
        404,
        422,
        described={
            403: 'The front desk never reads clinical content',
            404: 'No such completed visit among the ones the caller may read',
        },
    ),
}


class VerificationOut(BaseModel):
    """Whether a document is genuine and current: never a name or anything clinical."""

    valid: bool = Field(description='the code is one this clinic issued, for a record that exists')
    current: bool = Field(description='the document shows the latest version (false once an amendment replaced it)')
    version: int | None = Field(description="the version of the record the document shows ('version 1 of 2')")
    latest_version: int | None = Field(description='the record’s latest version')
    issued_on: date | None = Field(description='the day that version was written, in the clinic’s calendar')
    kind: Literal['summary', 'prescription'] | None = Field(description='which document the code belongs to')

    @classmethod
    def from_view(cls, view: Verification) -> VerificationOut:
        kind: Literal['summary', 'prescription'] | None = None
        if view.kind == documents.SUMMARY:
            kind = 'summary'
        elif view.kind == documents.PRESCRIPTION:
            kind = 'prescription'
        return cls(
            valid=view.valid,
            current=view.current,
            version=view.version,
            latest_version=view.latest_version,
            issued_on=view.issued_on,
            kind=kind,
        )


def _pdf(ctx: Context, principal: Principal, appointment_id: int, kind: str) -> Response:
    with ctx.uow() as uow:
        found = document_pdf.download(uow, ctx.settings, principal, appointment_id, kind)
    headers = {'Content-Disposition': f'attachment; filename="{found.filename}"', 'Cache-Control': 'private, no-store'}
    return Response(found.content, media_type=found.media_type, headers=headers)


@router.get(
    '/visits/{appointment_id}/summary.pdf', response_class=Response, summary='Visit summary', responses=_PDF_RESPONSES
)
def visit_summary(appointment_id: IdPath, principal: CurrentUser, ctx: Context) -> Response:
    """The summary of a completed visit: clinic, doctor, patient, date, diagnosis, treatment, medicines, tests,
    advice, next visit and the record's version (never private notes). For the patient, the treating doctor and the
    administrator; each download shows in the patient's access log."""
    return _pdf(ctx, principal, appointment_id, documents.SUMMARY)


@router.get(
    '/visits/{appointment_id}/prescription.pdf',
    response_class=Response,
    summary='Prescription',
    responses=_PDF_RESPONSES,
)
def visit_prescription(appointment_id: IdPath, principal: CurrentUser, ctx: Context) -> Response:
    """The prescription of a completed visit: clinic, doctor, patient, date, the medicines with dose, frequency,
    duration and instructions, and the next visit (no diagnosis: it is shown at a pharmacy). Same access as the
    summary."""
    return _pdf(ctx, principal, appointment_id, documents.PRESCRIPTION)


@router.get('/verify/{code}', summary='Verify a document', responses=problem_responses(429))
def verify_document(
    code: Annotated[str, Path(description='the code printed on the document (any case; dashes optional)')],
    ctx: Context,
    ip: ClientIp,
) -> VerificationOut:
    """Public: whether the code printed on a visit document is genuine, and whether the document is current or an
    amendment has replaced it. Anything that is not a genuine code (malformed, made up, altered) is
    `valid: false`. Too many of those from one address in an hour: 429."""
    with ctx.uow() as uow:
        return VerificationOut.from_view(documents.verify(uow, ctx.settings, code, ip=ip))

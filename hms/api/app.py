"""Builds the API application; main.py mounts it at /api (docs at /api/docs)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.routing import Mount

from hms import __version__
from hms.runtime import fast_path
from hms.runtime.api_guard import ApiGuard
from hms.runtime.logs import RequestId

from . import docs, problems
from .language import RequestLanguage
from .openapi import DocumentedAPI
from .routes import (
    admin,
    appointments,
    auth,
    boards,
    departments,
    doctor,
    doctors,
    documents,
    exports,
    health,
    jobs,
    leave,
    links,
    patient,
    reception_day,
    reception_patients,
    receptionists,
    records,
    stats,
    waitlist,
    worklists,
)

API_PREFIX = '/api'


def create_api() -> FastAPI:
    api = DocumentedAPI(  # errors documented as problem details, as they are answered
        title='HMS API',
        version=__version__,  # the package's release, like `hms --version` and the page footer
        summary='Clinic management: accounts, scheduling, records. Authenticate with `POST /api/login`.',
        docs_url=None,  # docs.install serves Swagger UI from the package instead of a CDN
        redoc_url=None,
        openapi_url='/openapi.json',
    )
    problems.install(api)
    docs.install(api)
    api.add_middleware(ApiGuard)  # body size limit, no state change from other sites
    api.add_middleware(RequestLanguage)  # a problem's detail in the client's language
    api.add_middleware(RequestId)  # outermost: every log line of the request, and the answer, carry its id
    api.include_router(health.router)
    api.include_router(auth.router)
    routers = (departments, doctors, appointments, doctor, records, patient, admin, stats, exports, jobs, boards)
    for module in routers:
        api.include_router(module.router)
    api.include_router(documents.router)  # visit documents and their public verification
    api.include_router(receptionists.router)  # the administrator's receptionist accounts
    api.include_router(reception_patients.router)  # the front desk's patients
    api.include_router(reception_day.router)  # the front desk's clinic day: booking for patients, walk-ins, check-in
    api.include_router(links.router)  # one-tap links from messages (public: the signed token is the authority)
    api.include_router(worklists.router)  # the desk's worklists: unclosed appointments, recalls
    api.include_router(waitlist.router)  # the patient's waiting lists and offers of freed slots
    api.include_router(leave.router)  # doctors' leave, clinic closures, stranded appointments
    return api


def mount(app: FastAPI) -> FastAPI:
    """Mount a fresh API on ``app`` at /api, replacing an earlier mount (tests rebuild the app)."""
    for route in list(app.router.routes):
        if isinstance(route, Mount) and route.path == API_PREFIX:
            app.router.routes.remove(route)
    api = create_api()
    app.mount(API_PREFIX, api)
    fast_path.install(app, API_PREFIX, api)  # API requests skip the pages' session and storage middleware
    return api

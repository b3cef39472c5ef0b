"""The one API object: every module's router mounted under /api/v1/, docs at /api/docs."""

from django.utils.translation import gettext_lazy as _
from ninja import Swagger

from accounts.api import auth_router, residents_router
from accounts.api import router as accounts_router
from accounts.auth import API_AUTH
from audit.api import router as audit_router
from core.api import LinliAPI, install_error_handlers
from excel.api import router as excel_router
from funds.api import public_router as funds_public_router
from funds.api import router as funds_router
from governance.api import router as governance_router
from neighbourhood.api import router as neighbourhood_router
from operations.api import router as operations_router
from org.api import organisations_router, public_router
from org.api import router as divisions_router
from planning.api import router as planning_router
from privacy.api import router as privacy_router
from registry.api import router as registry_router
from rulepack.api import router as rulepack_router
from scheduling.api import router as scheduling_router
from volunteers.api import router as volunteers_router

api = LinliAPI(
    title="Linli API",
    version="1",
    description=str(_("Linli (邻里): community service spaces. Every list is paginated; every error has the shape {code, message, fields}.")),
    auth=API_AUTH,
    docs_url="/docs",
    # Swagger UI from ninja's own static files; no badge fetched from swagger.io (nor the document's address told to it).
    docs=Swagger(settings={"validatorUrl": None}),
    openapi_url="/openapi.json",
    urls_namespace="api",
)
install_error_handlers(api)

# One router per module, mounted in the order a reader meets them.
for router in (
    auth_router,
    accounts_router,
    residents_router,
    divisions_router,
    organisations_router,
    audit_router,
    excel_router,
    rulepack_router,
    registry_router,
    scheduling_router,
    funds_router,
    operations_router,
    neighbourhood_router,
    volunteers_router,
):
    api.add_router("/v1/", router)
# Open to anyone, no sign-in: what residents need before they have an account.
api.add_router("/v1/public/", public_router)
api.add_router("/v1/public/", funds_public_router)

# 15-minute life circle planning.
api.add_router("/v1/", planning_router)
# Community governance: the affairs admission list and 五社联动 projects.
api.add_router("/v1/", governance_router)
# A person's own data: their copy and closing their account.
api.add_router("/v1/", privacy_router)

"""The kinds of rule the smart neighbourhood reads from a city's pack.

* ``feedback_categories``: the categories residents choose when they send feedback (诉求反馈),
  whether the community or the street handles each, and the days it has to close one. They
  are also the Open311 services of ``/open311/v2/services.json``.
* ``matching_weights``: how resource matching weighs category, text, distance, capacity and
  price tier when it ranks operators and services for a need.

Plain numbers (places one person may take, photo size, when the waitlist stops moving up…)
are ``parameter`` rules of the pack, read with ``rulepack.selectors.param`` (which falls back on
the default pack's value when a city's older pack lacks one).
"""

from django.utils.translation import gettext_lazy as _

from rulepack.kinds import Param, parameter_rule, rule_kind

LEVELS = (("community", _("community")), ("street", _("street")))


def _check_categories(params: dict) -> list[str]:
    problems, codes = [], set()
    for row in params.get("categories", []):
        code = row.get("code")
        if not isinstance(code, str) or not code.strip() or not isinstance(row.get("name"), str):
            problems.append(str(_("Each feedback category needs a code and a name.")))
            continue
        if code in codes:
            problems.append(str(_("Feedback category %(name)s appears twice.") % {"name": row["name"]}))
        codes.add(code)
    if not codes:
        problems.append(str(_("Give at least one feedback category.")))
    return problems


WEIGHTS = ("category", "text", "distance", "capacity", "tier")


def _check_weights(params: dict) -> list[str]:
    if sum(float(params.get(n, 0)) for n in WEIGHTS) <= 0:
        return [str(_("At least one matching weight must be more than zero."))]
    return []


def _weight(label) -> Param:
    return Param("number", label=label, max=100)


rule_kind("feedback_categories", module="neighbourhood", label=_("feedback categories"),
          description=_("The categories residents choose when they send feedback: each with its group, whether the "
                        "community or the street handles it, and the days it has to be closed in."),
          params={"categories": Param("table", label=_("categories"), row_key="code", columns={
              "code": Param("str"),
              "name": Param("str", label=_("category")),
              "group": Param("str", label=_("category group")),
              "level": Param("str", label=_("handled by"), choices=LEVELS),
              "sla_days": Param("int", label=_("closed within"), unit="days", min=1, max=365),
              "description": Param("str", required=False, label=_("for example")),
          })}, check=_check_categories)
rule_kind("matching_weights", module="neighbourhood", label=_("resource matching"),
          description=_("How resource matching ranks the candidates for a need: the weights of category, text "
                        "similarity, distance (up to the given range), capacity and price tier."),
          params={"category": _weight(_("weight of the category")), "text": _weight(_("weight of the words of the need")),
                  "distance": _weight(_("weight of the distance")), "capacity": _weight(_("weight of the capacity")),
                  "tier": _weight(_("weight of the price tier")),
                  "max_km": Param("number", label=_("candidates within"), unit="km", max=100)},
          check=_check_weights)

parameter_rule("neighbourhood.places_per_registration",
               Param("int", label=_("places one registration takes at most"), unit="places", min=1, max=20))
parameter_rule("neighbourhood.open_course_registrations_max",
               Param("int", label=_("courses at the same time at most"), unit="courses", min=1, max=50))
parameter_rule("neighbourhood.registration_closes_hours_before",
               Param("int", label=_("registration closes before the start"), unit="hours", max=720))
parameter_rule("neighbourhood.waitlist_stops_hours_before",
               Param("int", label=_("waitlist stops moving up before the start"), unit="hours", max=720))
parameter_rule("neighbourhood.check_in_opens_minutes_before",
               Param("int", label=_("check-in opens before the start"), unit="minutes", max=1440))
parameter_rule("neighbourhood.photo_max_mb", Param("int", label=_("a photo at most"), unit="megabytes", min=1, max=50))
parameter_rule("neighbourhood.rating_days", Param("int", label=_("rated within"), unit="days", min=1, max=365))
parameter_rule("neighbourhood.feedback_due_soon_hours",
               Param("int", label=_("marked due soon before the deadline"), unit="hours", min=1, max=720))
parameter_rule("neighbourhood.order_participants_max",
               Param("int", label=_("people on one order at most"), unit="people", min=1, max=10_000))
parameter_rule("neighbourhood.people_served_max",
               Param("int", label=_("people served recorded at most"), unit="people", min=1, max=1_000_000))

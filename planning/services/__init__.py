"""Writing life-circle plans: importing networks, building demand, running and saving scenarios.

Every heavy step works on arrays (``planning.network``, ``planning.demand``, ``planning.siting``)
and writes to the database only at the end, in one transaction, so a failure leaves nothing
half-saved: a network import or a scenario that fails is marked failed with its reason and has
no results. Network imports and scenarios run in the task worker (``planning.tasks``); the CLI
runs the same functions in the foreground with progress printed.

One file per entity; every name is imported here, so ``from planning import services`` serves as before.
"""

from .candidates import (
    PointSet,
    _in_bbox,
    _points,
    candidates_of,
    facilities_of,
    idle_room_candidates,
    network_candidates,
    uploaded_candidates,
)
from .demand import (
    MAX_UPLOAD_BYTES,
    DemandArrays,
    _check_within,
    demand_arrays,
    demand_create,
)
from .files import (
    _new_file,
    _removed_on_failure,
    arrays_bytes,
    file_delete,
    file_name,
    local_copy,
    network_graph,
    stored_arrays,
)
from .networks import (
    MAX_PBF_BYTES,
    Progress,
    _check_area,
    _detail,
    _fail,
    _network_save,
    _network_store,
    _quiet,
    _read_extract,
    _user,
    check_pbf,
    network_generate,
    network_import_file,
    network_import_run,
    network_import_start,
)
from .parameters import (
    FacilityKind,
    RoomRequirement,
    _rule_params,
    all_osm_tags,
    demand_rule,
    facility_kinds,
    pack_parameter,
    placing,
    room_requirement,
    siting_rule,
    walk_rule,
)
from .scenarios import (
    DEFAULT_NAME_TRIES,
    MAX_LISTED_OFF_NETWORK,
    MAX_LISTED_REFUSED,
    MAX_P_MEDIAN_CELLS,
    Result,
    _area_rows,
    _candidate_count,
    _compute,
    _covering,
    _create_with_default_name,
    _mean_walk,
    _p_median,
    _save_results,
    _site_effects,
    _solution_dict,
    default_name_stem,
    scenario_create,
    scenario_delete,
    scenario_run,
)

"""The demo accounts as they stand in the database, for `make run` to print each time."""

from accounts.models import RoleAssignment, User

DEMO_USERNAMES = ["admin", "minzheng", "minzheng_qu", "jiedao", "jiedao2", "shequ", "shequ2", "yunying", "cishan", "jijin", "jumin"]


def demo_accounts() -> list[tuple[str, str, str]]:
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
    roles = {}
    for assignment in RoleAssignment.objects.active().filter(user__username__in=DEMO_USERNAMES).select_related(
        "user", "division", "organisation"
    ):
        roles.setdefault(assignment.user.username, assignment)
    rows = []
    for username in DEMO_USERNAMES:
        if username not in users:
            continue
        assignment = roles.get(username)
        if assignment is None:
            rows.append((username, "系统管理员 / system administrator", "—"))
        else:
            rows.append((username, str(assignment.get_role_display()), (assignment.organisation or assignment.division).name))
    return rows

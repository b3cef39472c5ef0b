"""Template context every page gets: the menu for the user's roles."""

from django.urls import NoReverseMatch, reverse

from .navigation import NAV_GROUPS, nav_for


def navigation(request):
    """The menu: entries in order, those of a group gathered under the group's menu where it first appears."""
    items, groups = [], {}
    for item in nav_for(getattr(request, "user", None)):
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        entry = {"label": item.label, "url": url, "icon": item.icon, "active": request.path.startswith(url) and url != "/"}
        if not item.group:
            items.append(entry)
            continue
        if item.group not in groups:
            label, icon = NAV_GROUPS[item.group]
            groups[item.group] = {"label": label, "icon": icon, "children": [], "active": False}
            items.append(groups[item.group])
        groups[item.group]["children"].append(entry)
        groups[item.group]["active"] |= entry["active"]
    items = [item["children"][0] if len(item.get("children", [1, 2])) == 1 else item for item in items]
    return {"nav_items": items}

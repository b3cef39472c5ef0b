// Room and community calendars (FullCalendar, week and month views, in the page's language).
// The events come from the API; clicking a free time on a room's calendar fills the booking form.
(function () {
  const el = document.getElementById("calendar");
  if (!el || !window.FullCalendar) return;
  const lang = document.documentElement.lang.startsWith("zh") ? "zh-cn" : "en";
  const phone = window.innerWidth < 576;
  const calendar = new FullCalendar.Calendar(el, {
    locale: lang,
    initialView: phone ? "listWeek" : "timeGridWeek",
    headerToolbar: phone ? { left: "prev,next", center: "title", right: "today" }
                         : { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listWeek" },
    footerToolbar: phone ? { center: "listWeek,dayGridMonth" } : false,
    firstDay: 1,
    nowIndicator: true,
    allDaySlot: false,
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    slotMinTime: "07:00:00",
    slotMaxTime: "22:00:00",
    height: "auto",
    selectable: !!document.getElementById("booking-form"),
    events: { url: el.dataset.events, failure: () => { el.insertAdjacentHTML("beforebegin", "<div class='alert alert-warning'>…</div>"); } },
    select: (info) => {
      const form = document.getElementById("booking-form");
      if (!form) return;
      const pad = (n) => String(n).padStart(2, "0");
      const day = `${info.start.getFullYear()}-${pad(info.start.getMonth() + 1)}-${pad(info.start.getDate())}`;
      form.querySelector("[name=day]").value = day;
      form.querySelector("[name=start]").value = `${pad(info.start.getHours())}:${pad(info.start.getMinutes())}`;
      form.querySelector("[name=end]").value = `${pad(info.end.getHours())}:${pad(info.end.getMinutes())}`;
      form.querySelector("[name=title]").focus();
      form.scrollIntoView({ behavior: "smooth", block: "center" });
    },
  });
  calendar.render();
})();

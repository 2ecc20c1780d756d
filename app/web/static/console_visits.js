"use strict";
// Home visits in the console: the board's list of visits under way (overdue first), the visit
// behind a visit alarm, and the visit figures of the statistics.
const TryggConsoleVisits = (() => {
  const {t, h, $, fmtTime, fmtDateTime} = Trygg;
  const OPEN = ["overdue", "active"];
  const items = (data) => (Array.isArray(data) ? data : (data && data.items) || []);

  async function loadOpen(call) {
    const visits = items(await call("GET", "/visits?status=open"));
    return visits.sort((a, b) => OPEN.indexOf(a.status) - OPEN.indexOf(b.status) || Date.parse(a.due_at) - Date.parse(b.due_at));
  }

  // The board's table: overdue visits first, then by the time they are due.
  async function board(call) {
    const visits = await loadOpen(call);
    const now = Date.now();
    $("#visits tbody").replaceChildren(...visits.map((v) => {
      const late = v.status === "overdue" || Date.parse(v.due_at) <= now;
      return h("tr", {class: `visit-row row-${v.status}`, "data-visit-id": v.id},
        h("td", {text: v.user ? v.user.full_name : "–"}),
        h("td", {text: v.place}),
        h("td", {class: "status", text: t("visit_status_" + v.status)}),
        h("td", {class: "due"}, h("time", {datetime: v.due_at, text: fmtTime(v.due_at).slice(0, 5)}),
          late && v.status === "active" ? " – " + t("visit_due_passed") : ""),
        h("td", {text: fmtTime(v.started_at).slice(0, 5)}),
        h("td", {}, v.alarm_id ? h("a", {href: `/console/alarms/${v.alarm_id}`, text: t("open_timeline")}) : ""));
    }));
    $("#visits").hidden = visits.length === 0;
    $("#visits-empty").hidden = visits.length > 0;
  }

  // The visit whose missed check-in raised this alarm (the alarm's timeline already holds the
  // visit's events: start, check-ins, extensions, warning, overdue).
  async function visitOf(call, alarm) {
    if (!alarm.visit_id) return null;
    try { return await call("GET", `/visits/${alarm.visit_id}`); } catch (err) { return null; }
  }

  function eventDetail(ev) {
    const d = ev.data || {};
    if (d.due_at) return t("col_due") + " " + fmtTime(d.due_at).slice(0, 5);
    if (d.expected_end) return t("col_due") + " " + fmtTime(d.expected_end).slice(0, 5);
    return "";
  }

  function summaryRows(visit) {
    if (!visit) return [];
    return [[t("visit_alarm"), visit.place], [t("col_started"), fmtDateTime(visit.started_at)],
      [t("col_due"), fmtDateTime(visit.due_at)],
      [t("m_position"), visit.position ? `${visit.position.lat.toFixed(5)}, ${visit.position.lon.toFixed(5)}` : "–"]];
  }

  // Statistics: only when the server reports visit figures.
  function stats(data) {
    const section = $("#st-visits-section");
    if (!section) return;
    const rows = data.visits ? (Array.isArray(data.visits) ? data.visits : [data.visits]) : [];
    section.hidden = rows.length === 0;
    if (!rows.length) return;
    const cell = (v) => (v === undefined || v === null ? "–" : String(v));
    $("#table-visits").replaceChildren(h("table", {class: "table"},
      h("thead", {}, h("tr", {}, [t("office"), t("stats_visits_total"), t("stats_visits_overdue"), t("stats_visits_false_overdue")].map((x) => h("th", {scope: "col", text: x})))),
      h("tbody", {}, rows.map((r) => h("tr", {},
        h("th", {scope: "row", text: r.office_name || r.month || t("all")}),
        h("td", {text: cell(r.visits !== undefined ? r.visits : r.total)}),
        h("td", {text: cell(r.overdue)}),
        h("td", {text: cell(r.false_overdue)}))))));
  }

  return {board, visitOf, eventDetail, summaryRows, stats};
})();

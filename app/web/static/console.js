"use strict";
// The managers' and admins' console. The login token lives in sessionStorage (this tab only).
(() => {
  const {t, api, ApiError, errorText, h, $, fmtTime, fmtDateTime, fmtDate, fmtDuration, localInput, fromLocalInput, Socket} = Trygg;
  const main = $("#main");
  const page = main.dataset.page;
  let token = sessionStorage.getItem("trygg.c.token");
  let me = JSON.parse(sessionStorage.getItem("trygg.c.me") || "null");
  const isAdmin = () => me && me.roles.includes("admin");
  // A safety representative reads the register and statistics only (people by role, not name).
  const isRepOnly = (u) => !u.roles.includes("manager") && !u.roles.includes("admin");

  async function call(method, path, body, raw) {
    try {
      return await api(method, path, {token, body, raw});
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) { sessionStorage.clear(); location.assign("/console/login"); }
      throw err;
    }
  }

  const levelCell = (a) => h("span", {class: `lvl lvl-${a.level}`, text: t("level_" + a.level + "_short")});
  const statusText = (a) => t("status_" + a.status) + (a.mode === "drill" ? " · " + t("mode_drill") : a.mode === "test" ? " · " + t("mode_test") : "");
  const firstAck = (a) => {
    const acks = (a.responders || []).map((r) => Date.parse(r.acknowledged_at));
    return acks.length ? (Math.min(...acks) - Date.parse(a.raised_at)) / 1000 : null;
  };
  const say = (id, text, isError) => { const el = $("#" + id); if (el) { el.textContent = text; el.className = isError ? "error" : "ok"; } };

  if (page === "login") {
    $("#login-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      $("#login-error").textContent = "";
      try {
        const login = await api("POST", "/auth/login", {body: {username: $("#username").value, password: $("#password").value}});
        const user = await api("GET", "/me", {token: login.access_token});
        if (!["manager", "safety_rep", "admin"].some((r) => user.roles.includes(r))) {
          await api("POST", "/auth/logout", {token: login.access_token}).catch(() => {});
          $("#login-error").textContent = t("c_not_allowed");
          return;
        }
        sessionStorage.setItem("trygg.c.token", login.access_token);
        sessionStorage.setItem("trygg.c.me", JSON.stringify(user));
        location.assign(isRepOnly(user) ? "/console/register" : "/console/");
      } catch (err) {
        $("#login-error").textContent = err instanceof ApiError && err.status === 401 ? t("login_failed") : errorText(err);
      }
    });
    $("#username").focus();
    return;
  }

  if (!token || !me) { location.replace("/console/login"); return; }
  $("#who-name").textContent = me.full_name;
  for (const el of document.querySelectorAll("[data-admin-only]")) el.hidden = !isAdmin();
  for (const el of document.querySelectorAll("[data-follow-up]")) el.hidden = isRepOnly(me);
  if (isRepOnly(me) && !["register", "stats"].includes(page)) { location.replace("/console/register"); return; }
  $("#logout").addEventListener("click", async () => {
    await call("POST", "/auth/logout").catch(() => {});
    sessionStorage.clear();
    location.assign("/console/login");
  });

  function live(onEvent, onReadiness) {
    return new Socket(token, {
      state: (up) => { $("#unprotected").hidden = up; },
      event: onEvent, hello: () => onEvent(null),
      readiness: onReadiness || (() => {}),
      unauthorized: () => { sessionStorage.clear(); location.assign("/console/login"); },
    });
  }

  // Live board
  async function board() {
    let alarms = [];
    const render = () => {
      const body = $("#board tbody");
      body.replaceChildren(...alarms.map((a) => h("tr", {class: `row-${a.level}`, "data-alarm-id": a.id},
        h("td", {}, levelCell(a), a.mode === "drill" ? " " + t("drill_banner") : ""),
        h("td", {text: statusText(a)}),
        h("td", {text: (a.visit_id ? t("v_title") + ": " : "") + (a.room ? a.room.name : (a.location_note || "–"))}),
        h("td", {text: a.raised_by.full_name}),
        h("td", {class: "age", "data-raised": a.raised_at, text: fmtDuration((Date.now() - Date.parse(a.raised_at)) / 1000)}),
        h("td", {class: "coming", text: a.responders.length ? a.responders.map((r) => r.full_name).join(", ") : t("nobody_yet")}),
        h("td", {class: "roles-summary", text: a.responders.length ? TryggRoles.summary(a) : "–"}),
        h("td", {}, h("a", {href: `/console/alarms/${a.id}`, text: t("open_timeline")})))));
      $("#board").hidden = alarms.length === 0;
      $("#board-empty").hidden = alarms.length > 0;
    };
    const refresh = async () => {
      const [active, responding] = await Promise.all(["active", "responding"].map((s) => call("GET", `/alarms?status=${s}&limit=200`)));
      // A function test goes back to its sender only; it is not an alarm to attend to.
      alarms = [...active.items, ...responding.items].filter((a) => a.mode !== "test").sort((x, y) => Date.parse(y.raised_at) - Date.parse(x.raised_at));
      render();
      await TryggConsoleVisits.board(call);
    };
    live(() => refresh().catch(() => {}), (f) => {
      const low = f.responders_online < f.min_responders_online;
      $("#readiness").hidden = !low;
      $("#readiness").textContent = low ? t("readiness_low", {online: f.responders_online, min: f.min_responders_online}) : "";
    });
    setInterval(() => refresh().catch(() => {}), 10000);
    setInterval(() => { for (const td of document.querySelectorAll("td.age")) td.textContent = fmtDuration((Date.now() - Date.parse(td.dataset.raised)) / 1000); }, 1000);
    await refresh();
  }

  // Alarm list, filters, CSV
  function filterQuery() {
    const q = new URLSearchParams();
    for (const name of ["level", "mode", "status"]) { const v = $("#f-" + name).value; if (v) q.set(name, v); }
    const since = $("#f-since").value, until = $("#f-until").value;
    if (since) q.set("since", new Date(since + "T00:00").toISOString());
    if (until) { const d = new Date(until + "T00:00"); d.setDate(d.getDate() + 1); q.set("until", d.toISOString()); }
    return q;
  }

  async function alarmList() {
    let cursor = null;
    const load = async (reset) => {
      const q = filterQuery();
      q.set("limit", "50");
      if (!reset && cursor) q.set("cursor", cursor);
      const pageData = await call("GET", "/alarms?" + q);
      const rows = pageData.items.map((a) => h("tr", {"data-alarm-id": a.id},
        h("td", {text: fmtDateTime(a.raised_at)}), h("td", {}, levelCell(a)), h("td", {text: t("mode_" + a.mode)}),
        h("td", {text: t("status_" + a.status)}), h("td", {text: a.room ? a.room.name : "–"}),
        h("td", {text: a.raised_by.full_name}), h("td", {text: fmtDuration(firstAck(a))}),
        h("td", {}, h("a", {href: `/console/alarms/${a.id}`, text: t("open_timeline")}))));
      const body = $("#alarms tbody");
      if (reset) body.replaceChildren(...rows); else body.append(...rows);
      cursor = pageData.next_cursor;
      $("#more").hidden = !cursor;
      $("#alarms-empty").hidden = body.children.length > 0;
    };
    $("#filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(true); });
    $("#more").addEventListener("click", () => load(false));
    $("#export").addEventListener("click", async () => {
      const response = await call("GET", "/exports/alarms.csv?" + filterQuery(), undefined, true);
      const url = URL.createObjectURL(await response.blob());
      const a = h("a", {href: url, download: "trygg-alarmer.csv"});
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    });
    await load(true);
  }

  // One alarm: summary, timeline minute by minute, incident follow-up
  function eventDetail(ev) {
    const d = ev.data || {};
    const parts = [];
    if (ev.type.startsWith("sms.") || ev.type.startsWith("voice.")) parts.push(ev.type);
    if (d.channel) parts.push(t("channel") + ": " + d.channel);
    if (d.role && ev.type !== "alarm.acknowledged") parts.push(t("role_" + d.role + "_does"));
    if (ev.type.startsWith("visit.")) parts.push(TryggConsoleVisits.eventDetail(ev));
    if (d.tier !== undefined) parts.push(t("tier") + " " + d.tier + (d.reason ? " (" + d.reason + ")" : ""));
    if (d.from && d.to && ev.type === "alarm.upgraded") parts.push(t("level_" + d.from + "_short") + " → " + t("level_" + d.to + "_short"));
    if (d.reason && d.tier === undefined) parts.push(d.reason);
    if (d.summary) parts.push(d.summary);
    if (d.status) parts.push(d.status);
    return parts.join(" · ");
  }

  // "Svarte: ringer politiet": an answer says what the responder does.
  function eventLabel(ev) {
    if (ev.type === "alarm.acknowledged" && ev.data && ev.data.role) return t("ev_ack_role", {what: t("role_" + ev.data.role + "_does")});
    return t("ev_" + ev.type) === "ev_" + ev.type ? ev.type : t("ev_" + ev.type);
  }

  // A home visit's events come before its alarm: "−4 s".
  const offset = (seconds) => (seconds < 0 ? "−" : "+") + fmtDuration(Math.abs(seconds));

  async function alarmPage() {
    const id = main.dataset.alarmId;
    let alarm;
    const load = async () => {
      alarm = await call("GET", `/alarms/${id}`);
      const visit = await TryggConsoleVisits.visitOf(call, alarm);
      $("#alarm-h").textContent = `${t("level_" + alarm.level)} – ${fmtDateTime(alarm.raised_at)}`;
      const ack = firstAck(alarm);
      const rows = [
        [t("col_status"), statusText(alarm)], [alarm.visit_id ? t("visit_place") : t("room"), alarm.room ? alarm.room.name : (alarm.location_note || "–")],
        [t("raised_by"), alarm.raised_by.full_name], [t("col_raised_at"), fmtDateTime(alarm.raised_at)],
        [t("delivered_to"), String(alarm.delivered_to)],
        [t("time_to_first_ack"), ack === null ? t("not_acknowledged") : fmtDuration(ack)],
        [t("coming"), alarm.responders.map((r) => r.full_name + " – " + t("role_" + TryggRoles.roleOf(r) + "_does")).join(", ") || "–"],
        ...TryggConsoleVisits.summaryRows(visit),
        [t("closed_at"), alarm.closed_at ? fmtDateTime(alarm.closed_at) : "–"],
        [t("close_reason"), alarm.close_reason || "–"],
      ];
      $("#summary").replaceChildren(...rows.flatMap(([k, v]) => [h("dt", {text: k}), h("dd", {text: v})]));
      const raised = Date.parse(alarm.raised_at);
      const minutes = new Map();
      for (const ev of alarm.events) {
        const at = new Date(ev.at);
        const key = at.toLocaleTimeString(Trygg.lang === "en" ? "en-GB" : "nb-NO", {hour: "2-digit", minute: "2-digit"});
        if (!minutes.has(key)) minutes.set(key, []);
        minutes.get(key).push(ev);
      }
      $("#timeline").replaceChildren(...[...minutes].map(([minute, evs]) => h("li", {class: "minute"},
        h("h4", {text: minute}),
        h("ul", {}, evs.map((ev) => h("li", {class: "ev ev-" + ev.type.replace(/\./g, "-")},
          h("time", {datetime: ev.at, text: fmtTime(ev.at)}), " ",
          h("span", {class: "offset", text: offset((Date.parse(ev.at) - raised) / 1000)}), " ",
          h("strong", {text: eventLabel(ev)}),
          ev.actor ? " – " + ev.actor.full_name : "", eventDetail(ev) ? " – " + eventDetail(ev) : ""))))));
      const followable = !["active", "responding"].includes(alarm.status) && alarm.mode === "real";
      $("#incident-na").hidden = followable;
      if (followable) await loadIncident();
    };
    let owners = [];
    const loadIncident = async () => {
      let inc;
      try {
        inc = await call("GET", `/alarms/${id}/incident`);
      } catch (err) {
        $("#incident-na").hidden = false;
        $("#incident-na").textContent = errorText(err);
        return;
      }
      $("#incident").hidden = false;
      if (!owners.length) owners = await call("GET", `/users?office_id=${alarm.office_id}`).catch(() => []);
      $("#t-owner").replaceChildren(...owners.filter((u) => u.is_active).map((u) => h("option", {value: u.id, text: u.full_name})));
      const form = $("#incident-form");
      if (!form.dataset.filled) {
        form.dataset.filled = "1";
        $("#i-occurred").value = localInput(inc.occurred_at);
        $("#i-work").value = inc.work_activity;
        $("#i-seq").value = inc.sequence_of_events;
        $("#i-causes").value = inc.presumed_causes;
        $(`#i-injury-${inc.injury}`).checked = true;
        $("#i-police").checked = inc.police_notified;
        $("#i-ref").value = inc.deviation_ref || "";
        $("#i-li-at").value = localInput(inc.labour_inspection_notified_at);
        $("#i-police-at").value = localInput(inc.police_notified_at);
      }
      renderFollowUp(inc);
    };
    const renderFollowUp = (inc) => {
      $("#duty").hidden = !form().querySelector("input[name=injury][value=serious]").checked;
      const duty = inc.notification_duty;
      $("#duty-state").textContent = duty.required ? (duty.outstanding ? t("duty_outstanding") : t("duty_done")) : "";
      $("#duty-state").className = duty.outstanding ? "warn" : "ok";
      $("#debrief-due").textContent = t("debrief_due", {from: fmtDate(inc.debrief_due_from), by: fmtDate(inc.debrief_due_by)});
      $("#debrief-overdue").hidden = !inc.debrief_overdue;
      for (const el of document.querySelectorAll(".needs-incident")) el.hidden = inc.recorded;
      $("#debrief-form").hidden = !inc.recorded;
      $("#task-form").hidden = !inc.recorded;
      $("#debriefs").replaceChildren(...(inc.debriefs.length ? inc.debriefs.map((d) => h("li", {class: d.overdue ? "overdue" : ""},
        h("strong", {text: d.participants}), " – ",
        d.held_at ? t("held_at") + " " + fmtDateTime(d.held_at) : (d.scheduled_at ? t("scheduled_at") + " " + fmtDateTime(d.scheduled_at) : ""),
        d.notes ? h("p", {text: d.notes}) : null,
        d.overdue ? h("span", {class: "warn", text: " " + t("overdue")}) : null,
        !d.held_at ? h("button", {type: "button", class: "secondary small", text: t("mark_held"), onclick: async () => {
          renderFollowUpFrom(await call("PATCH", `/alarms/${id}/incident/debriefs/${d.id}`, {held_at: new Date().toISOString()}));
        }}) : null)) : [h("li", {class: "muted", text: t("debrief_none")})]));
      $("#tasks").replaceChildren(...(inc.tasks.length ? inc.tasks.map((task) => h("li", {class: task.overdue ? "overdue" : ""},
        h("strong", {text: task.title}), ` – ${t("owner")}: ${task.owner.full_name}`,
        task.due_at ? ` – ${t("due_at")}: ${fmtDate(task.due_at)}` : "",
        task.done_at ? ` – ${t("done")} ${fmtDate(task.done_at)}` : null,
        task.overdue ? h("span", {class: "warn", text: " " + t("overdue")}) : null,
        !task.done_at ? h("button", {type: "button", class: "secondary small", text: t("mark_done"), onclick: async () => {
          renderFollowUpFrom(await call("PATCH", `/alarms/${id}/incident/tasks/${task.id}`, {done: true}));
        }}) : null)) : [h("li", {class: "muted", text: t("tasks_none")})]));
    };
    const renderFollowUpFrom = async () => renderFollowUp(await call("GET", `/alarms/${id}/incident`));
    const form = () => $("#incident-form");
    form().addEventListener("change", (ev) => {
      if (ev.target.name === "injury") $("#duty").hidden = ev.target.value !== "serious";
    });
    form().addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const injury = form().querySelector("input[name=injury]:checked");
      const body = {
        occurred_at: fromLocalInput($("#i-occurred").value), work_activity: $("#i-work").value,
        sequence_of_events: $("#i-seq").value, presumed_causes: $("#i-causes").value,
        injury: injury ? injury.value : "none", police_notified: $("#i-police").checked,
        deviation_ref: $("#i-ref").value || null,
        labour_inspection_notified_at: fromLocalInput($("#i-li-at").value),
        police_notified_at: fromLocalInput($("#i-police-at").value),
      };
      try {
        renderFollowUp(await call("PUT", `/alarms/${id}/incident`, body));
        say("incident-msg", t("saved"));
      } catch (err) { say("incident-msg", errorText(err), true); }
    });
    $("#debrief-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        await call("POST", `/alarms/${id}/incident/debriefs`, {
          scheduled_at: fromLocalInput($("#d-scheduled").value), participants: $("#d-participants").value, notes: $("#d-notes").value});
        ev.target.reset();
        say("debrief-msg", t("saved"));
        await renderFollowUpFrom();
      } catch (err) { say("debrief-msg", errorText(err), true); }
    });
    $("#task-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const due = $("#t-due").value;
        await call("POST", `/alarms/${id}/incident/tasks`, {
          title: $("#t-title").value, owner_id: $("#t-owner").value, due_at: due ? new Date(due + "T23:59").toISOString() : null});
        ev.target.reset();
        say("task-msg", t("saved"));
        await renderFollowUpFrom();
      } catch (err) { say("task-msg", errorText(err), true); }
    });
    live((f) => { if (!f || (f.alarm && f.alarm.id === id) || (f.visit && f.visit.alarm_id === id)) load().catch(() => {}); });
    await load();
  }

  // Statistics: SVG bar charts (no library) with the same figures as tables beside them.
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    node.append(...children);
    return node;
  }
  function barChart(rows, series, title) {
    // rows: [{label, values: {key: number}}]; series: [{key, label, cls}]
    const width = Math.max(320, rows.length * 56 + 60), height = 200, top = 10, bottom = 30, left = 36;
    const max = Math.max(1, ...rows.map((r) => series.reduce((s, x) => s + (r.values[x.key] || 0), 0)));
    const scale = (height - top - bottom) / max;
    const chart = svg("svg", {viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "bars"});
    chart.append(svg("line", {x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: "axis"}));
    chart.append(svg("text", {x: 4, y: top + 10, class: "tick"}, String(max)));
    rows.forEach((row, i) => {
      let y = height - bottom;
      const x = left + 10 + i * 56;
      for (const s of series) {
        const v = row.values[s.key] || 0;
        if (!v) continue;
        const hgt = v * scale;
        y -= hgt;
        chart.append(svg("rect", {x, y, width: 36, height: hgt, class: s.cls}, svg("title", {}, `${row.label} ${s.label}: ${v}`)));
      }
      chart.append(svg("text", {x: x + 18, y: height - bottom + 16, class: "tick", "text-anchor": "middle"}, row.label));
    });
    const legend = h("ul", {class: "legend"}, series.map((s) => h("li", {}, h("span", {class: "swatch " + s.cls}), s.label)));
    return [chart, legend];
  }
  function table(headers, rows) {
    return h("table", {class: "table"}, h("thead", {}, h("tr", {}, headers.map((x) => h("th", {scope: "col", text: x})))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => i === 0 ? h("th", {scope: "row", text: c}) : h("td", {text: c}))))));
  }

  async function stats() {
    const load = async () => {
      const q = new URLSearchParams();
      if ($("#s-since").value) q.set("since", new Date($("#s-since").value + "T00:00").toISOString());
      if ($("#s-until").value) { const d = new Date($("#s-until").value + "T00:00"); d.setDate(d.getDate() + 1); q.set("until", d.toISOString()); }
      const data = await call("GET", "/stats?" + q);
      TryggConsoleVisits.stats(data);
      const levels = [{key: "yellow", label: t("level_yellow_short"), cls: "b-yellow"}, {key: "red", label: t("level_red_short"), cls: "b-red"}];
      for (const mode of ["real", "drill"]) {
        const rows = data.months.filter((m) => m.mode === mode).map((m) => ({label: m.month, values: m}));
        const title = mode === "real" ? t("stats_real") : t("stats_drill");
        $("#chart-" + mode).replaceChildren(...(rows.length ? barChart(rows, levels, title) : [h("p", {class: "muted", text: t("stats_empty")})]));
        $("#table-" + mode).replaceChildren(rows.length ? table([t("month"), t("level_yellow_short"), t("level_red_short")],
          rows.map((r) => [r.label, r.values.yellow, r.values.red])) : "");
      }
      const ackRows = data.ack_times.filter((a) => a.mode === "real").map((a) => ({label: a.office_name, values: {median: a.median_s || 0, p90: Math.max(0, (a.p90_s || 0) - (a.median_s || 0))}}));
      $("#chart-ack").replaceChildren(...(ackRows.length ? barChart(ackRows, [{key: "median", label: t("median") + " (s)", cls: "b-median"}, {key: "p90", label: t("p90") + " (s)", cls: "b-p90"}], t("stats_ack")) : [h("p", {class: "muted", text: t("stats_empty")})]));
      $("#table-ack").replaceChildren(data.ack_times.length ? table([t("office"), t("col_mode"), t("count"), t("answered"), t("median"), t("p90")],
        data.ack_times.map((a) => [a.office_name, t("mode_" + a.mode), a.alarms, a.acknowledged, fmtDuration(a.median_s), fmtDuration(a.p90_s)])) : "");
    };
    $("#stats-filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
    await load();
  }

  // Readiness
  async function officePicker(select, wrapper) {
    const offices = await call("GET", "/offices");
    select.replaceChildren(...offices.map((o) => h("option", {value: o.id, text: o.name, selected: o.id === me.office_id})));
    if (wrapper) wrapper.hidden = offices.length < 2;
    return offices;
  }

  // Who an alarm reaches now, and how: the server's `reachable` channels for each responder.
  function reachability(r) {
    $("#r-reach tbody").replaceChildren(...r.responders.map((p) => {
      const ways = p.reachable || [];
      return h("tr", {"data-user-id": p.user_id}, h("th", {scope: "row", text: p.full_name}),
        h("td", {class: ways.length ? "ok" : "warn", text: ways.length ? ways.map((c) => t("channel_" + c)).join(", ") : t("unreachable")}));
    }));
  }

  async function readiness() {
    await officePicker($("#r-office"), $("#office-pick"));
    const load = async () => {
      const r = await call("GET", `/offices/${$("#r-office").value}/readiness`);
      $("#r-summary").textContent = `${t("responders_online")}: ${r.responders_online} (${t("minimum")} ${r.min_responders_online}) · ${t("test_interval")}: ${r.test_interval_days}`;
      $("#r-summary").className = r.below_minimum ? "warn" : "ok";
      $("#r-responders").replaceChildren(...r.responders.map((p) => h("li", {class: p.online ? "on" : "off"}, p.full_name + " – " + (p.online ? t("online") : t("offline")))));
      $("#r-devices tbody").replaceChildren(...r.devices.map((d) => h("tr", {class: d.online ? "" : "offline"},
        h("td", {text: d.label || d.id.slice(0, 8)}), h("td", {text: d.user_full_name}), h("td", {text: t("kind_" + d.kind)}),
        h("td", {text: d.room || "–"}), h("td", {class: d.online ? "ok" : "warn", text: d.online ? t("online") : t("offline")}),
        h("td", {text: d.last_seen_at ? fmtDateTime(d.last_seen_at) : t("never")}),
        h("td", {class: d.test_overdue ? "warn" : ""}, d.last_test_at ? fmtDateTime(d.last_test_at) : t("never"), d.test_overdue ? " – " + t("test_overdue") : ""))));
      $("#r-none").hidden = r.devices.length > 0;
      reachability(r);
    };
    $("#r-office").addEventListener("change", load);
    setInterval(() => load().catch(() => {}), 10000);
    await load();
  }

  // Administration
  async function admin() {
    if (!isAdmin()) { $("#admin-denied").hidden = false; return; }
    $("#admin-body").hidden = false;
    const msg = (text, isError) => say("admin-msg", text, isError);
    const guard = (fn) => async (ev) => { ev && ev.preventDefault && ev.preventDefault(); try { await fn(ev); msg(t("saved")); } catch (err) { msg(errorText(err), true); } };
    const officeSel = $("#a-office");
    const num = (value, label) => h("input", {type: "number", value, min: 0, "aria-label": label, class: "num"});

    const loadOffices = async () => {
      const offices = await call("GET", "/offices");
      const policies = await Promise.all(offices.map((o) => call("GET", `/offices/${o.id}/readiness`).then((r) => r.test_interval_days).catch(() => 30)));
      $("#offices tbody").replaceChildren(...offices.map((o, i) => {
        const ack = num(o.ack_timeout_s, `${o.name}: ${t("ack_timeout_s")}`), min = num(o.min_responders_online, `${o.name}: ${t("min_responders_online")}`);
        const days = num(policies[i], `${o.name}: ${t("test_interval")}`);
        return h("tr", {}, h("th", {scope: "row", text: o.name}), h("td", {}, ack), h("td", {}, min), h("td", {}, days),
          h("td", {}, h("button", {type: "button", class: "secondary small", text: t("save"), onclick: guard(async () => {
            await call("PATCH", `/offices/${o.id}`, {ack_timeout_s: Number(ack.value), min_responders_online: Number(min.value)});
            await call("PUT", `/offices/${o.id}/readiness-policy`, {test_interval_days: Number(days.value)});
          })})));
      }));
      const current = officeSel.value;
      officeSel.replaceChildren(...offices.map((o) => h("option", {value: o.id, text: o.name, selected: o.id === current})));
    };
    const loadOffice = async () => {
      const office = officeSel.value;
      if (!office) return;
      const [rooms, users, devices] = await Promise.all([call("GET", `/offices/${office}/rooms`), call("GET", `/users?office_id=${office}`), call("GET", `/devices?office_id=${office}`)]);
      $("#rooms").replaceChildren(...rooms.map((r) => h("li", {text: r.name})));
      $("#dv-room").replaceChildren(h("option", {value: "", text: t("no_room")}), ...rooms.map((r) => h("option", {value: r.id, text: r.name})));
      $("#dv-user").replaceChildren(...users.map((u) => h("option", {value: u.id, text: u.full_name})));
      const names = Object.fromEntries(users.map((u) => [u.id, u.full_name]));
      $("#users tbody").replaceChildren(...users.map((u) => {
        const boxes = ["staff", "responder", "manager", "safety_rep", "admin"].map((r) => h("label", {class: "check small"}, h("input", {type: "checkbox", value: r, checked: u.roles.includes(r)}), " " + t("role_" + r)));
        const active = h("input", {type: "checkbox", checked: u.is_active, "aria-label": `${u.full_name}: ${t("active")}`});
        return h("tr", {}, h("th", {scope: "row", text: u.full_name}), h("td", {text: u.username}), h("td", {}, h("fieldset", {class: "roles"}, h("legend", {class: "sr-only", text: `${u.full_name}: ${t("roles")}`}), boxes)),
          h("td", {}, active), h("td", {}, h("button", {type: "button", class: "secondary small", text: t("save"), onclick: guard(async () => {
            const roles = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
            await call("PATCH", `/users/${u.id}`, {roles, is_active: active.checked});
          })})));
      }));
      $("#devices tbody").replaceChildren(...devices.map((d) => h("tr", {},
        h("td", {text: d.label || d.id.slice(0, 8)}), h("td", {text: names[d.user_id] || ""}), h("td", {text: t("kind_" + d.kind)}),
        h("td", {text: d.last_seen_at ? fmtDateTime(d.last_seen_at) : t("never")}),
        h("td", {}, d.revoked_at ? t("revoked") : h("button", {type: "button", class: "secondary small", text: t("revoke"), onclick: guard(async () => {
          await call("POST", `/devices/${d.id}/revoke`, {}); await loadOffice();
        })})))));
    };
    officeSel.addEventListener("change", () => loadOffice().catch((err) => msg(errorText(err), true)));
    $("#office-form").addEventListener("submit", guard(async () => {
      await call("POST", "/offices", {name: $("#o-name").value});
      $("#o-name").value = "";
      await loadOffices();
    }));
    $("#room-form").addEventListener("submit", guard(async () => {
      await call("POST", `/offices/${officeSel.value}/rooms`, {name: $("#rm-name").value});
      $("#rm-name").value = "";
      await loadOffice();
    }));
    $("#user-form").addEventListener("submit", guard(async (ev) => {
      const roles = [...document.querySelectorAll("input[name=u-role]:checked")].map((i) => i.value);
      const body = {username: $("#u-username").value, full_name: $("#u-name").value, password: $("#u-password").value, office_id: officeSel.value, roles};
      if ($("#u-phone").value) body.phone = $("#u-phone").value;
      await call("POST", "/users", body);
      ev.target.reset();
      await loadOffice();
    }));
    $("#device-form").addEventListener("submit", guard(async () => {
      const body = {user_id: $("#dv-user").value, kind: $("#dv-kind").value};
      if ($("#dv-room").value) body.room_id = $("#dv-room").value;
      if ($("#dv-label").value) body.label = $("#dv-label").value;
      const device = await call("POST", "/devices", body);
      $("#device-token").replaceChildren(t("device_token_once") + " ", h("code", {text: device.token}));
      await loadOffice();
    }));
    await loadOffices();
    await loadOffice();
  }

  async function register() {
    await officePicker($("#g-office"), $("#office-pick"));
    const load = async () => {
      const entries = await call("GET", `/offices/${$("#g-office").value}/incident-register`);
      $("#g-entries tbody").replaceChildren(...entries.map((e) => h("tr", {},
        h("td", {text: fmtDateTime(e.occurred_at)}), h("td", {}, levelCell(e)), h("td", {text: e.room || "–"}),
        h("td", {text: e.work_activity}), h("td", {text: e.sequence_of_events}), h("td", {text: e.presumed_causes}),
        h("td", {text: t("injury_" + e.injury)}), h("td", {text: e.people.map((p) => p.role).join(", ")}))));
      $("#g-none").hidden = entries.length > 0;
    };
    $("#g-office").addEventListener("change", load);
    await load();
  }

  const pages = {board, alarms: alarmList, alarm: alarmPage, stats, readiness, admin, register};
  (pages[page] || (async () => {}))().catch((err) => {
    main.prepend(h("p", {class: "error", role: "alert", text: errorText(err)}));
  });
})();

"use strict";
// Answering together: which roles an alarm still lacks, who does what, and the raiser's summary.
const TryggRoles = (() => {
  const {t, h} = Trygg;
  const ORDER = ["go", "police", "reception"];
  // A responder from before roles existed is going.
  const roleOf = (r) => r.role || "go";

  // The buttons in the order to offer them: for red the roles still missing come first (go,
  // police, reception), then the taken ones; for yellow "I'm coming" always leads.
  function buttonOrder(alarm) {
    if (alarm.level !== "red") return ORDER.slice();
    const taken = new Set((alarm.responders || []).map(roleOf));
    return [...ORDER.filter((r) => !taken.has(r)), ...ORDER.filter((r) => taken.has(r))];
  }

  // "2 kommer, politiet varslet": short enough for a discreet line on the raiser's screen.
  function summary(alarm) {
    const counts = {go: 0, police: 0, reception: 0};
    for (const r of alarm.responders || []) counts[roleOf(r)] = (counts[roleOf(r)] || 0) + 1;
    const parts = [];
    if (counts.go) parts.push(t("feedback_go", {n: counts.go}));
    if (counts.police) parts.push(t("feedback_police"));
    if (counts.reception) parts.push(t("feedback_reception"));
    return parts.length ? parts.join(", ") : t("nobody_yet");
  }

  // <ul> "Rune Responder – kommer", "Randi Responder – ringer politiet"
  function list(alarm, attrs) {
    const responders = alarm.responders || [];
    if (!responders.length) return h("p", Object.assign({class: "coming", text: t("nobody_yet")}, attrs || {}));
    return h("ul", Object.assign({class: "who-does"}, attrs || {}), responders.map((r) => h("li", {"data-role": roleOf(r)},
      h("strong", {text: r.full_name}), " – " + t("role_" + roleOf(r) + "_does"))));
  }

  const mine = (alarm, userId) => (alarm.responders || []).find((r) => r.user_id === userId);

  // "Du: Kommer" and the two other roles as smaller buttons. A switch takes two taps on the same
  // button within SWITCH_ARM_MS (the first only arms it), so a stray or double tap changes nothing.
  const SWITCH_ARM_MS = 4000;
  const label = (role) => t("role_" + role + "_label");
  function switcher(role, armed, onTap) {
    return h("div", {class: "role-switch"},
      h("p", {class: "you-coming", "data-role": role, text: t("role_you", {role: label(role)})}),
      h("div", {class: "switch-to", role: "group", "aria-label": t("role_switch_group")},
        ORDER.filter((r) => r !== role).map((r) => h("button", {type: "button",
          class: "switch" + (armed === r ? " armed" : ""), "data-role": r,
          text: t(armed === r ? "role_switch_again" : "role_switch", {role: label(r)}),
          onclick: (ev) => onTap(r, ev.currentTarget)}))));
  }

  return {ORDER, SWITCH_ARM_MS, roleOf, buttonOrder, summary, list, mine, label, switcher};
})();

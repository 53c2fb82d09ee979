/** The staffing heatmap (`#/staffing`): agents needed per hour of the week (Erlang C at the
 * service-level target) with the opening hours over it and the hours where closed chat misses
 * online shoppers. */
import "./operator.css";
import { useState } from "preact/hooks";
import { ErrorBanner } from "../components";
import { useLoaded } from "../hooks";
import type { ConsolePage, PageContext } from "../pages";
import { WEEKDAYS, fixed, heat, pct, weekGrid, type Staffing, type StaffingHour } from "./report-data";

const HOURS = Array.from({ length: 24 }, (_, hour) => hour);

export function StaffingPage(props: { context: PageContext }) {
  const { api } = props.context;
  const [weeks, setWeeks] = useState(4);
  const plan = useLoaded(() => api.get<Staffing>("/v1/reports/staffing", { weeks }), [weeks]);
  return (
    <section class="staffing" data-kr="staffing" aria-labelledby="staffing-title">
      <h1 id="staffing-title">Staffing</h1>
      <label>
        Weeks up to now{" "}
        <select data-kr="staffing-weeks" value={weeks} onChange={(e) => setWeeks(Number(e.currentTarget.value))}>
          {[1, 2, 4, 8, 13, 26].map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <ErrorBanner error={plan.error} onRetry={plan.refresh} />
      {plan.data ? <Heatmap plan={plan.data} /> : !plan.error && <p class="empty">Loading…</p>}
    </section>
  );
}

function describe(hour: StaffingHour): string {
  const parts = [
    `${fixed(hour.sessions_per_hour, 1)} sessions/h`,
    `${fixed(hour.arrivals_per_hour, 1)} chats/h`,
    hour.open ? (hour.open_share < 1 ? `open ${pct(hour.open_share, 0)} of the hour` : "open") : "closed",
    `${hour.agents_needed_if_open} agents needed if open`,
  ];
  if (hour.missed) parts.push(`${hour.missed} while shoppers are online`);
  if (hour.estimated) parts.push("estimated from the same hour of other days");
  return parts.join(", ");
}

function Heatmap(props: { plan: Staffing }) {
  const { plan } = props;
  const grid = weekGrid(plan);
  const missed = plan.hours.filter((hour) => hour.missed).length;
  const estimated = plan.hours.some((hour) => hour.estimated);
  return (
    <div class="panel">
      <p data-kr="staffing-summary">
        {plan.first_day
          ? `Observed ${plan.days} days, ${plan.first_day} to ${plan.last_day} (up to ${String(plan.last_hour ?? 23).padStart(2, "0")}:59).`
          : "No traffic yet: the heatmap fills from the first day of traffic."}{" "}
        {estimated && "Hours of weekdays not seen yet are estimated from the same hour of the days seen (marked ~)."}
      </p>
      <p>
        Agents needed for {pct(plan.target_share, 0)} of chats answered within {plan.target_seconds} s, {plan.concurrency} chats per
        agent at once{plan.handle_seconds !== null && `, ${fixed(plan.handle_seconds / 60, 1)} min per chat`}.
        {plan.closed_demand_share !== null && ` ${pct(plan.closed_demand_share, 0)} of sessions fell while chat was closed (${missed} busy hours a week missed).`}
        {plan.peak && ` Peak: ${WEEKDAYS[plan.peak.weekday]} ${String(plan.peak.hour).padStart(2, "0")}:00, ${plan.peak.agents_needed_if_open} agents.`}
      </p>
      <div class="heatmap-scroll">
        <table class="heatmap" data-kr="staffing-heatmap">
          <caption>
            Agents needed per hour of the week. Colour: shoppers online (darker is busier); hatched: chat closed; red
            outline: closed while shoppers are online.
          </caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              {HOURS.map((hour) => (
                <th scope="col" key={hour}>
                  {String(hour).padStart(2, "0")}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {grid.map((row, weekday) => (
              <tr key={weekday}>
                <th scope="row">{WEEKDAYS[weekday]}</th>
                {row.map((hour, index) =>
                  hour ? (
                    <td
                      key={index}
                      data-kr="staffing-cell"
                      data-weekday={weekday}
                      data-hour={index}
                      data-open={String(hour.open)}
                      class={`cell ${hour.open ? "open" : "closed"}${hour.missed ? " missed" : ""}${hour.estimated ? " estimated" : ""}`}
                      style={{ "--heat": heat(hour, plan).toFixed(2) }}
                      title={describe(hour)}
                    >
                      <span class="visually-hidden">{describe(hour)}</span>
                      <span aria-hidden="true">
                        {hour.agents_needed_if_open || ""}
                        {hour.estimated && hour.agents_needed_if_open ? "~" : ""}
                      </span>
                    </td>
                  ) : (
                    <td key={index} />
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export const staffingPage: ConsolePage = {
  id: "staffing",
  title: "Staffing",
  roles: ["operator"],
  render: (context) => <StaffingPage context={context} />,
};

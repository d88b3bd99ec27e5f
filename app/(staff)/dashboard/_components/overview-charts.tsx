"use client";

import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export interface ComplianceChartProps {
  history: { day: string; rate: number | null }[];
}

const percent = (v: number | null) => (v === null ? "—" : `${Math.round(v * 1000) / 10}%`);

/** The compliance rate over the last 90 days, with the same figures as a table for screen readers. */
export function ComplianceChart({ history }: ComplianceChartProps) {
  const data = history.map((h) => ({ day: h.day.slice(5), rate: h.rate === null ? null : Math.round(h.rate * 1000) / 10 }));
  return (
    <figure className="chart">
      <figcaption>Compliance rate, last 90 days</figcaption>
      {/* inert: hidden from assistive technology and out of the tab order (recharts makes its surface focusable); the table below says the same. */}
      <div aria-hidden="true" inert style={{ width: "100%", height: 220 }}>
        <ResponsiveContainer>
          <LineChart data={data} margin={{ top: 8, right: 12, left: -12, bottom: 0 }}>
            <CartesianGrid stroke="#e3e6eb" vertical={false} />
            <XAxis dataKey="day" tick={{ fontSize: 12 }} interval={14} />
            <YAxis domain={[0, 100]} tick={{ fontSize: 12 }} unit="%" />
            <Tooltip formatter={(v) => [`${v}%`, "compliant"]} />
            <Line type="monotone" dataKey="rate" stroke="#3b5bdb" strokeWidth={2} dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      {/* A table's height is only a minimum: the clipping box must be a div around it. */}
      <div className="sr-only">
        <table>
          <caption>Compliance rate by day</caption>
          <tbody>
            {history.map((h) => (
              <tr key={h.day}>
                <th scope="row">{h.day}</th>
                <td>{percent(h.rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

export interface AgeChartProps {
  ages: { label: string; withinPolicy: number; overdue: number }[];
}

/** Keys in use by age, split by whether they are within their policy's max age. */
export function AgeChart({ ages }: AgeChartProps) {
  return (
    <figure className="chart">
      <figcaption>Key age against max age</figcaption>
      {/* inert: hidden from assistive technology and out of the tab order (recharts makes its surface focusable); the table below says the same. */}
      <div aria-hidden="true" inert style={{ width: "100%", height: 220 }}>
        <ResponsiveContainer>
          <BarChart data={ages} margin={{ top: 8, right: 12, left: -12, bottom: 0 }}>
            <CartesianGrid stroke="#e3e6eb" vertical={false} />
            <XAxis dataKey="label" tick={{ fontSize: 11 }} interval={1} />
            <YAxis tick={{ fontSize: 12 }} allowDecimals={false} />
            <Tooltip />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Bar dataKey="withinPolicy" name="within policy" stackId="a" fill="#2b8a3e" isAnimationActive={false} />
            <Bar dataKey="overdue" name="past max age" stackId="a" fill="#c92a2a" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <div className="sr-only">
        <table>
          <caption>Keys in use by age</caption>
          <thead>
            <tr>
              <th>Age</th>
              <th>Within policy</th>
              <th>Past max age</th>
            </tr>
          </thead>
          <tbody>
            {ages.map((a) => (
              <tr key={a.label}>
                <th scope="row">{a.label}</th>
                <td>{a.withinPolicy}</td>
                <td>{a.overdue}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

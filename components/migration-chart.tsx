"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export interface MigrationChartProps {
  series: { hour: string; oldKey: number; newKey: number }[];
  oldPrefix: string;
  newPrefix: string | null;
}

/** Verifications per hour of the old key and its successor: the migration, as it happens. Figures also as a table. */
export function MigrationChart({ series, oldPrefix, newPrefix }: MigrationChartProps) {
  const data = series.map((s) => ({ ...s, label: `${s.hour.slice(5, 10)} ${s.hour.slice(11, 13)}h` }));
  const total = (k: "oldKey" | "newKey") => series.reduce((n, s) => n + s[k], 0);
  return (
    <figure className="chart">
      <figcaption>Verifications per hour, last 48 hours (UTC)</figcaption>
      {/* inert: out of the tab order too (recharts makes its surface focusable); the table below says the same. */}
      <div aria-hidden="true" inert style={{ width: "100%", height: 240 }}>
        <ResponsiveContainer>
          <LineChart data={data} margin={{ top: 8, right: 12, left: -12, bottom: 0 }}>
            <CartesianGrid stroke="#e3e6eb" vertical={false} />
            <XAxis dataKey="label" tick={{ fontSize: 11 }} interval="preserveStartEnd" minTickGap={28} />
            <YAxis tick={{ fontSize: 12 }} allowDecimals={false} />
            <Tooltip />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Line type="monotone" dataKey="oldKey" name={`old key ${oldPrefix}…`} stroke="#b35c00" strokeWidth={2} dot={false} isAnimationActive={false} />
            <Line
              type="monotone"
              dataKey="newKey"
              name={newPrefix ? `new key ${newPrefix}…` : "new key (not yet revealed)"}
              stroke="#2b8a3e"
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <p className="sub">
        Last 48 hours: old key {total("oldKey").toLocaleString("en")} verifications, new key {total("newKey").toLocaleString("en")}.
      </p>
      <div className="sr-only">
        <table>
          <caption>Verifications per hour</caption>
          <thead>
            <tr>
              <th>Hour (UTC)</th>
              <th>Old key</th>
              <th>New key</th>
            </tr>
          </thead>
          <tbody>
            {series.map((s) => (
              <tr key={s.hour}>
                <th scope="row">{s.hour.slice(0, 13)}h</th>
                <td>{s.oldKey}</td>
                <td>{s.newKey}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ValidationError } from "./errors";
import { parseInput } from "./validation";

describe("parseInput", () => {
  it("parses an input once: the value it returned, given back with the same schema, is not parsed again", () => {
    let checks = 0;
    const tokens = z.array(z.string()).refine(() => ++checks > 0);
    const schema = z.object({ name: z.string().refine(() => ++checks > 0), tokens });
    const parsed = parseInput(schema, { name: "a", tokens: ["x"] });
    expect(checks).toBe(2);
    expect(parseInput(schema, parsed)).toBe(parsed);
    expect(parseInput(tokens, parsed.tokens)).toBe(parsed.tokens); // a field, by its own schema
    expect(checks).toBe(2);
    // Another schema, or a copy, is parsed (and refused) as any input.
    expect(() => parseInput(z.object({ name: z.number() }), parsed)).toThrow(ValidationError);
    parseInput(schema, { ...parsed });
    expect(checks).toBe(4);
  });

  it("refuses input nested past 64 levels with a ValidationError, not a stack overflow", () => {
    const deep = JSON.parse(`{"keys":${"[".repeat(100_000)}${"]".repeat(100_000)}}`);
    expect(() => parseInput(z.object({ keys: z.array(z.unknown()) }), deep)).toThrow(/keys\.0\.0.*nested more than 64 levels deep/);
    const fine = JSON.parse(`{"keys":${"[".repeat(60)}${"]".repeat(60)}}`);
    expect(parseInput(z.object({ keys: z.array(z.unknown()) }), fine).keys).toHaveLength(1);
  });
});

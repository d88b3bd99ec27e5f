/**
 * `--to exec:…` destinations for the places customers keep keys: each passes
 * the key on standard input, never as an argument. The customer docs page
 * (/docs/agent) shows these, and tests/agent.test.ts runs each one against a
 * stand-in for its CLI, so what the page says is what was tried.
 */
export interface Recipe {
  name: string;
  /** What the destination does, for the docs page. */
  about: string;
  /** The `--to` value (names such as `myapp` are the customer's to change). */
  to: string;
}

export const RECIPES: Recipe[] = [
  {
    name: "HashiCorp Vault",
    about: 'Writes the key as the api_key field of a KV secret (the value "-" makes vault read it from standard input).',
    to: "exec:vault kv put -mount=secret myapp api_key=-",
  },
  {
    name: "AWS Secrets Manager",
    about: "Stores the key as the secret's new current version.",
    to: "exec:aws secretsmanager put-secret-value --secret-id myapp/api-key --secret-string file:///dev/stdin",
  },
  {
    name: "Vercel",
    about: "Replaces the production environment variable (vercel env add reads the value from standard input); redeploy afterwards to load it.",
    to: "exec:vercel env rm API_KEY production --yes >/dev/null 2>&1; vercel env add API_KEY production",
  },
  {
    name: "GitHub Actions",
    about: "Sets the repository secret (gh reads the value from standard input when no --body is given).",
    to: "exec:gh secret set API_KEY --repo acme/myapp",
  },
  {
    name: "Kubernetes",
    about: "Creates or updates the secret without the key ever in an argument: kubectl writes the manifest, kubectl apply reads it.",
    to: "exec:kubectl create secret generic myapp-api-key --from-file=api-key=/dev/stdin --dry-run=client -o yaml | kubectl apply -f -",
  },
  {
    name: "A redeploy hook",
    about:
      "Last in the list, after the destinations: asks the platform (Render, Netlify, Vercel) to redeploy so services load the new key. curl does not read the key: it only calls the hook.",
    to: 'exec:curl -fsS -X POST "$DEPLOY_HOOK_URL"',
  },
];

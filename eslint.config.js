import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Imports that would break the one-way flow handler → domain → queries. */
const layerRules = {
  domain: {
    patterns: [
      { group: ["@grpc/*"], message: "Domain modules use the generated messages only; gRPC belongs in src/rpc/." },
      { group: ["pg"], message: "Reach the database through the generated queries in sql/queries/." },
    ],
  },
  rpc: {
    patterns: [
      { group: ["**/sql/queries/*"], message: "Handlers call domain modules; they do not run queries." },
      { group: ["pg"], message: "Handlers call domain modules; they do not touch the database." },
    ],
  },
};

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".warden/", "src/gen/", "sql/queries/*.queries.ts", "bench/results/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["eslint.config.js"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
    },
  },
  {
    files: [
      "src/authn/**",
      "src/events/**",
      "src/tokens/**",
      "src/lockout/**",
      "src/risk/**",
      "src/alerts/**",
      "src/audit/**",
      "src/exchange/**",
    ],
    rules: { "no-restricted-imports": ["error", layerRules.domain] },
  },
  { files: ["src/rpc/**"], rules: { "no-restricted-imports": ["error", layerRules.rpc] } },
  // Plain-JavaScript shims sit outside the TypeScript project.
  { files: ["**/*.mjs"], ...tseslint.configs.disableTypeChecked },
);

import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/**
 * The import direction of docs/ARCHITECTURE.md: each block names the folders of a layer and
 * the folders it must not import (those above it), with what to do instead. A file matches
 * one block only (ESLint does not merge a rule's options across blocks), so every block
 * lists everything it may not reach, src/cli and src/commands included.
 */
const SEE = 'see docs/ARCHITECTURE.md'
const ABOVE_LIB = ['cli', 'commands']
const OCI_OPERATIONS = ['ops', 'engines']
const DOMAIN = ['workspace', 'repository', 'mode', 'deps', ...OCI_OPERATIONS, 'module', 'platform']
const TOP_OF_LIB = ['session', 'completion']

const layers = [
  {
    files: ['src/lib/util/**', 'src/lib/errors.ts'],
    forbidden: ['config', 'oci', 'extension', 'artifact', ...DOMAIN, 'audit', ...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'util/ is the bottom layer: take the value as a parameter, or keep the code that needs the other area in that area',
  },
  {
    files: ['src/lib/audit/**'],
    forbidden: ['config', 'oci', 'extension', 'artifact', ...DOMAIN, ...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'the audit log only appends records: callers pass it what to record',
  },
  {
    files: ['src/lib/config/**'],
    forbidden: ['oci', 'extension', 'artifact', ...DOMAIN, ...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'config/ sits below every area: take the workspace and the mode as inputs of loadConfig (the session selects them), and read typed settings from the loaded config in the area that uses them',
  },
  {
    files: ['src/lib/oci/**'],
    ignores: ['src/lib/oci/ops/**', 'src/lib/oci/engines/**'],
    forbidden: ['extension', 'artifact', ...DOMAIN, ...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'oci/ is the generic OCI client and knows nothing of extensions or workspaces: put extension-aware code in the artifact layer (src/lib/artifact/) and engine or command-level operations in oci/engines/ or oci/ops/',
  },
  {
    files: ['src/lib/extension/**'],
    forbidden: ['artifact', ...DOMAIN, ...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'extension/ is the extension folder format (manifest, tar, packaging): building or installing artifacts belongs to src/lib/artifact/',
  },
  {
    files: ['src/lib/artifact/**'],
    forbidden: [...DOMAIN, ...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'the artifact layer works on a ContentStore and a target folder: the caller passes settings and paths in',
  },
  {
    files: ['src/lib/signing/**'],
    forbidden: [...DOMAIN, ...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'signing/ (keys, bundles, referrers, the trust policy) works on a ContentStore and typed settings: callers pass them in',
  },
  {
    files: ['src/lib/platform/**'],
    forbidden: [...DOMAIN.filter((a) => a !== 'platform'), ...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'platform/ runs local services from their config definitions, beside workspace/: what it needs from the areas above comes in through its settings',
  },
  {
    files: ['src/lib/workspace/**'],
    ignores: ['src/lib/workspace/migrate-to-oci.ts'],
    forbidden: ['repository', 'mode', 'deps', ...OCI_OPERATIONS, 'module', 'platform', ...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'workspace/ (discovery, locks, known workspaces, the declaration document) sits below mode, deps and module: let them call it, or pass what it needs in',
  },
  {
    files: ['src/lib/repository/**'],
    forbidden: [...DOMAIN.filter((a) => a !== 'repository'), ...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'repository/ (declared repositories, selectors, their indexes and probes) works on typed repositories and stores passed in: deps and the operations above call it',
  },
  {
    // Migrating publishes modules through `oci push` and rewrites the declaration: an operation above deps and OCI operations that still lives in workspace/.
    files: ['src/lib/workspace/migrate-to-oci.ts'],
    forbidden: ['mode', 'module', 'platform', ...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'migrating sits above deps and OCI operations, below module',
  },
  {
    files: ['src/lib/mode/**'],
    forbidden: ['deps', ...OCI_OPERATIONS, 'module', 'platform', ...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'mode/ checks mode requirements over config, credentials and workspace locks: it sits below deps and module',
  },
  {
    files: ['src/lib/deps/**'],
    forbidden: ['mode', ...OCI_OPERATIONS, 'module', 'platform', ...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'deps/ resolves and installs through the OCI client and the artifact layer (installLayer), not through oci/ops or engines; settings come in from the caller',
  },
  {
    files: ['src/lib/oci/ops/**', 'src/lib/oci/engines/**'],
    forbidden: ['workspace', 'mode', 'module', 'platform', ...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'OCI operations (ops, engines) take their settings from the session passed in: they do not look up workspaces or modes themselves',
  },
  {
    files: ['src/lib/module/**'],
    forbidden: [...TOP_OF_LIB, ...ABOVE_LIB],
    instead: 'module/ is the top of the domain areas: settings come in from the session',
  },
  {
    files: ['src/lib/session/**', 'src/lib/completion/**'],
    forbidden: ABOVE_LIB,
    instead: 'libraries never print or parse flags: return data and throw typed errors; src/cli renders them',
  },
  {
    files: ['src/cli/**'],
    forbidden: ['commands'],
    instead: 'src/cli is shared by commands: move what a command and the cli need into src/cli or src/lib',
  },
]

/** A relative import of a file under a folder named `area` (area names are unique under src/). */
const importOf = (areas) => `^\\.\\.?/(?:.*/)?(?:${areas.join('|')})/`

const layerRules = layers.map(({files, ignores, forbidden, instead}) => {
  const message = `${files[0].replace(/\/\*\*$/, '/')} may not import ${forbidden.join(', ')}: ${instead} (${SEE})`
  return {
    files,
    ...(ignores ? {ignores} : {}),
    rules: {
      'no-restricted-imports': ['error', {patterns: [{regex: importOf(forbidden), message}]}],
      // no-restricted-imports does not see import(); the selector's regex cannot hold a '/' (esquery), hence \x2F.
      'no-restricted-syntax': ['error', {selector: `ImportExpression[source.value=/${importOf(forbidden).replaceAll('/', '\\x2F')}/]`, message}],
    },
  }
})

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/', 'bench/bare-cli/node_modules/']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {globals: {process: 'readonly', console: 'readonly', URL: 'readonly'}},
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_'}],
    },
  },
  ...layerRules,
)

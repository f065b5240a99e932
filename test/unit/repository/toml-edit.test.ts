import {parse} from 'smol-toml'
import {describe, expect, it} from 'vitest'

import {editTomlTable, type TomlTable} from '../../../src/lib/repository/toml-edit.js'
import {expectProvisioningError} from '../config/helpers.js'

const FILE = '/home/me/.provisioning/config.user.toml'
const TABLE = ['repositories', 'team']
const edit = (text: string, value: TomlTable | undefined, table = TABLE) => editTomlTable(text, FILE, table, value)

const USER_CONFIG = `# My own settings.
[oci]
registry = "localhost:5000"   # the local one
retries = 0

# The team registry (ask #platform for access).
[repositories.team]
url = "oci://reg.example.com/team"  # moved in May
  mode = "ro"
# why this priority: it mirrors prod
priority = 5

[repositories.team.labels]
env = "prod"   # never dev
team = "core"

# Output.
[output]
color = false
`

describe('editTomlTable: a new table', () => {
  it('is appended after a blank line; every byte before it stays', async () => {
    const text = '# top comment\n[oci]\nretries = 0 # fast\n'
    const edited = await edit(text, {url: 'oci://r.example.com/x', mode: 'rw', priority: 7, labels: {'example.com/team': 'core', env: 'dev'}})
    expect(edited.startsWith(text)).toBe(true)
    expect(edited.slice(text.length)).toBe(
      '\n[repositories.team]\nurl = "oci://r.example.com/x"\nmode = "rw"\npriority = 7\n\n[repositories.team.labels]\n"example.com/team" = "core"\nenv = "dev"\n',
    )
  })

  it('starts an empty (or missing) file, and leaves out empty labels', async () => {
    expect(await edit('', {url: 'oci://r.example.com/x', mode: 'ro', labels: {}})).toBe('[repositories.team]\nurl = "oci://r.example.com/x"\nmode = "ro"\n')
  })

  it('writes any description back exactly (quotes, backslashes, newlines, DEL, emoji)', async () => {
    const description = 'a "quoted" \\ back\nslash\ttab \u007f del 😀 [repositories.x] # not a comment'
    const edited = await edit('[oci]\n', {url: 'oci://r.example.com/x', description, mode: 'ro'})
    expect((parse(edited) as {repositories: {team: {description: string}}}).repositories.team.description).toBe(description)
  })

  it('keeps CRLF line endings', async () => {
    const edited = await edit('[oci]\r\nretries = 0\r\n', {url: 'oci://r.example.com/x', mode: 'ro'})
    expect(edited).toBe('[oci]\r\nretries = 0\r\n\r\n[repositories.team]\r\nurl = "oci://r.example.com/x"\r\nmode = "ro"\r\n')
  })
})

describe('editTomlTable: an existing table', () => {
  it('changes values in place, keeping indentation, trailing comments and comment lines', async () => {
    const edited = await edit(USER_CONFIG, {url: 'oci://new.example.com/team', mode: 'rw', priority: 5, labels: {env: 'staging', team: 'core', tier: 'gold'}})
    expect(edited).toBe(
      USER_CONFIG.replace('url = "oci://reg.example.com/team"  # moved in May', 'url = "oci://new.example.com/team"  # moved in May')
        .replace('  mode = "ro"', '  mode = "rw"')
        .replace('env = "prod"   # never dev\nteam = "core"\n', 'env = "staging"   # never dev\nteam = "core"\ntier = "gold"\n'),
    )
  })

  it('adds a field after the last one kept and removes fields no longer set', async () => {
    const edited = await edit(USER_CONFIG, {url: 'oci://reg.example.com/team', description: 'core team', mode: 'ro', labels: {env: 'prod', team: 'core'}})
    expect(edited).toContain('  mode = "ro"\ndescription = "core team"\n# why this priority: it mirrors prod\n\n[repositories.team.labels]')
    expect(edited).not.toContain('priority = 5')
    expect(edited).toContain('# The team registry (ask #platform for access).\n[repositories.team]\n')
  })

  it('drops the labels sub-table when no label is left', async () => {
    const edited = await edit(USER_CONFIG, {url: 'oci://reg.example.com/team', mode: 'ro', priority: 5, labels: {}})
    expect(edited).not.toContain('[repositories.team.labels]')
    expect(edited).not.toContain('never dev')
    expect(edited).toContain('priority = 5\n\n# Output.\n[output]\ncolor = false\n')
  })

  it('edits a labels sub-table declared apart from its table', async () => {
    const text = '[repositories.team]\nurl = "oci://r.example.com/x"\n\n[oci]\nretries = 1\n\n[repositories.team.labels]\nenv = "prod"\n'
    const edited = await edit(text, {url: 'oci://r.example.com/x', mode: 'ro', labels: {env: 'dev'}})
    expect(edited).toBe('[repositories.team]\nurl = "oci://r.example.com/x"\nmode = "ro"\n\n[oci]\nretries = 1\n\n[repositories.team.labels]\nenv = "dev"\n')
  })

  it('rewrites a table it cannot edit line by line (an inline labels table) in place, and the result reads back', async () => {
    const text = '# before\n[repositories.team]\nurl = "oci://r.example.com/x"\nlabels = {env = "prod"}\n\n[oci]\nretries = 1\n'
    const edited = await edit(text, {url: 'oci://r.example.com/x', mode: 'ro', labels: {env: 'dev'}})
    expect(edited).toBe(
      '# before\n[repositories.team]\nurl = "oci://r.example.com/x"\nmode = "ro"\n\n[repositories.team.labels]\nenv = "dev"\n\n[oci]\nretries = 1\n',
    )
  })
})

describe('editTomlTable: removing a table', () => {
  it('takes its comment, its labels and its blank lines; every other byte stays', async () => {
    const edited = await edit(USER_CONFIG, undefined)
    expect(edited).toBe(`# My own settings.
[oci]
registry = "localhost:5000"   # the local one
retries = 0

# Output.
[output]
color = false
`)
  })

  it('leaves no blank lines at the end when it was the last table', async () => {
    expect(await edit('[oci]\nretries = 0\n\n[repositories.team]\nurl = "oci://r.example.com/x"\n', undefined)).toBe('[oci]\nretries = 0\n')
  })

  it('leaves other repositories alone', async () => {
    const text = '[repositories.team]\nurl = "oci://r.example.com/x"\n\n[repositories.teammate]\nurl = "oci://r.example.com/y"\n'
    expect(await edit(text, undefined)).toBe('[repositories.teammate]\nurl = "oci://r.example.com/y"\n')
  })
})

describe('editTomlTable: what it refuses (nothing returned that would read back differently)', () => {
  it('a repository written as an inline table under [repositories]: exit 3, edit by hand', async () => {
    const text = '[repositories]\nteam = {url = "oci://r.example.com/x"}\n'
    const error = await expectProvisioningError(() => edit(text, {url: 'oci://r.example.com/y', mode: 'ro'}))
    expect(error.exit).toBe(3)
    expect(error.hint).toContain('by hand')
  })

  it('a file that is not TOML: exit 3 naming the file', async () => {
    const error = await expectProvisioningError(() => edit('[oci\nretries = ', {url: 'oci://r.example.com/y', mode: 'ro'}))
    expect(error.exit).toBe(3)
    expect(error.message).toContain(FILE)
  })

  it('a header-like line inside a multi-line string is not taken for a table', async () => {
    const text = '[vars]\nnote = """\n[repositories.team]\nurl = "oci://evil.example.com/x"\n"""\n'
    const edited = await edit(text, undefined)
    expect(parse(edited)).toEqual(parse(text))
    const added = await edit(text, {url: 'oci://r.example.com/x', mode: 'ro'})
    expect(parse(added)).toEqual({...parse(text), repositories: {team: {url: 'oci://r.example.com/x', mode: 'ro'}}})
  })
})

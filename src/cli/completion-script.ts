/**
 * The bash side of dynamic completion: wraps the command/flag completion that
 * @oclif/plugin-autocomplete generates (`_<bin>_autocomplete`) and, where an argument
 * names a workspace, a mode or an extension, asks `<bin> __complete KIND` instead.
 * `node` and `runJs` are absolute paths, so completion works before the CLI is on PATH.
 */
export function bashDynamicCompletion(options: {bin: string; node: string; runJs: string}): string {
  const fn = `_${options.bin.replaceAll('-', '_')}`
  const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`
  return `
# Dynamic candidates (workspaces, modes, extension names) from local files only; the
# candidates are plain names ([A-Za-z0-9._-]), so compgen's expansion of them is inert.
${fn}_candidates()
{
  ${quote(options.node)} ${quote(options.runJs)} __complete "$@" 2>/dev/null
}

${fn}_complete()
{
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" kind="" type="" workspace="" flag="" i
  local -a words=()
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # "--workspace=NAME": bash splits at "=", so look past it.
  if [[ "$prev" == "=" && COMP_CWORD -gt 1 ]]; then prev="\${COMP_WORDS[COMP_CWORD-2]}"; fi
  if [[ "$cur" == "=" ]]; then cur=""; fi
  # The positional words before the cursor; global flags that take a value skip it, and
  # "--flag=VALUE" arrives as three words ("--flag" "=" "VALUE"): the value is past the "=".
  for (( i = 1; i < COMP_CWORD; i++ )); do
    case "\${COMP_WORDS[i]}" in
      -w|--workspace|--env|--infra|--set|--source|--depth|--limit|--since|--command|--concurrency|--format)
        flag="\${COMP_WORDS[i]}"
        [[ "\${COMP_WORDS[i+1]}" == "=" ]] && (( i++ ))
        (( i++ ))
        if [[ "$flag" == -w || "$flag" == --workspace ]]; then workspace="\${COMP_WORDS[i]}"; fi ;;
      -w=*|--workspace=*) workspace="\${COMP_WORDS[i]#*=}" ;;
      -*) ;;
      *) words+=("\${COMP_WORDS[i]}") ;;
    esac
  done
  if [[ "$prev" == "-w" || "$prev" == "--workspace" ]]; then
    kind=workspaces
  elif [[ "$cur" != -* ]]; then
    case "\${words[0]} \${words[1]}" in
      "workspace switch"|"workspace info"|"workspace remove"|"workspace lock"|"workspace unlock"|"workspace cleanup"|"workspace migrate-to-oci")
        (( \${#words[@]} == 2 )) && kind=workspaces ;;
      "mode switch"|"mode show"|"mode validate")
        (( \${#words[@]} == 2 )) && kind=modes ;;
      "module load"|"module unload"|"module resolve")
        (( \${#words[@]} >= 3 )) && { kind=extensions; type="\${words[2]}"; } ;;
      "dep tree"|"dep why")
        (( \${#words[@]} == 2 )) && kind=extensions ;;
      "dep update")
        kind=extensions ;;
    esac
  fi
  if [[ -n "$kind" ]]; then
    local -a args=("$kind")
    [[ -n "$type" ]] && args+=(--type "$type")
    [[ -n "$workspace" ]] && args+=(--workspace "$workspace")
    local IFS=$'\\n'
    COMPREPLY=( $(compgen -W "$(${fn}_candidates "\${args[@]}")" -- "$cur") )
    return 0
  fi
  ${fn}_autocomplete
}

complete -o default -F ${fn}_complete ${options.bin}
`
}

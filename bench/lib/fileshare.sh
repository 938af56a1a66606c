# shellcheck shell=bash
# The 30-day rule and configuration of the file-share benches
# (bench/fileshare.sh, bench/fileshare_phases.sh), sourced by them; the
# SMB benches (bench/smb.sh, bench/smb_phases.sh) take the rule.
#
#   fileshare_policy [KEEP] [ID]   prints the policy: rule ID (OLD) deletes
#                                  every file modified more than KEEP (P30D)
#                                  ago, after one approval by the group
#                                  leaders (bench/smb.sh and smb_phases.sh:
#                                  P0D ALL, every file)
#   fileshare_config ROOT [TZ]     prints a configuration with that policy
#                                  (policy.yaml beside it) and one fileshare
#                                  source "tree" at ROOT, in time zone TZ if
#                                  given; anna approves, it operates

fileshare_policy() {
	cat <<YAML
version: 1
id: bench
rules:
  - id: ${2:-OLD}
    type: delete_after
    path: "**"
    from: item.modified
    keep: ${1:-P30D}
    approval:
      - {group: leaders, count: 1}
    guard: {max_items: 0, max_growth: 0}
YAML
}

fileshare_config() {
	echo "version: 1"
	[ -z "${2:-}" ] || echo "timezone: $2"
	cat <<YAML
ledger: {origin: bench.invalid/ledger}
policies: [policy.yaml]
cli: {trust_as: true}
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - {name: tree, kind: fileshare, options: {root: $1}}
YAML
}

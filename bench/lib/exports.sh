# shellcheck shell=bash
# The rule and configurations of the export benches (bench/exports.sh,
# bench/exports_mem.sh), sourced by them.
#
#   exports_policy linked|unlinked   prints the policy: rule S3 deletes
#                    "Udmeldte elever/{student}/**" at the end of the school
#                    year the student left (linked to the export's people)
#                    or, as the baseline, of the year the file was modified
#   exports_config NAME POLICY yes|no
#                    prints a configuration with database NAME.db and keys
#                    of its own (NAME-keys/), policy POLICY.yaml, the share
#                    "share" and, with yes, the TEA export source "elever"
#                    (folder exports/)

exports_policy() {
	local anchor
	if [ "$1" = linked ]; then
		anchor='subject: {kind: student, capture: student}
    from: subject.left
    from_end_of: school_year
    keep: P0D'
	else
		anchor='from: item.modified
    from_end_of: school_year
    keep: P0D'
	fi
	cat <<YAML
version: 1
id: bench
rules:
  - id: S3
    type: delete_after
    path: "Udmeldte elever/{student}/**"
    $anchor
    approval:
      - {group: leaders, count: 1}
    guard: {max_items: 0, max_growth: 0}
YAML
}

exports_config() {
	# Each database has its keys of its own: a ledger key remembers its
	# database (keys/ledger.key.checkpoint) and refuses another.
	cat <<YAML
version: 1
database: $1.db
keys: {signing: $1-keys/ledger.key, references: $1-keys/references.key}
ledger: {origin: bench.invalid/ledger}
policies: [$2.yaml]
cli: {trust_as: true}
people:
  - {id: anna, roles: [approver], groups: [leaders]}
  - {id: it, roles: [operator]}
sources:
  - {name: share, kind: fileshare, options: {root: share}}
YAML
	if [ "$3" = yes ]; then
		echo "  - {name: elever, kind: export, options: {dir: exports, preset: tea-students, ignore_other_columns: true}}"
	fi
}

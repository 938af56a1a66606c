// Package policies decides, for one item on one day, whether retention rules
// make it due for deletion, and why.
//
// It is pure: it reads no clock, file or database. The scheduler turns a
// connector's item into an Item, gathers subject facts and holds into an
// Env, and calls Set.Evaluate; the Decision it gets back carries the rule,
// the date the period counted from, the due date, and any exemption,
// conflict or hold, which Decision.Reason renders for people.
//
// The rules it applies, in order of strength:
//
//   - A hold always wins: held items are never due.
//   - An exemption (archive duty, a protected folder) protects the item from
//     every rule; archive exemptions move it to an archive instead.
//   - Unknown facts never delete: if a rule might make the item due but a
//     date or fact it needs is unknown, the item is flagged for review. A
//     date every person has (born, started) that the export leaves empty is
//     unknown; an event absent from the export (left, case_closed) has not
//     happened.
//   - Paths are matched in Unicode NFC, whatever form the pattern, the hold
//     or the file system used; refs are compared byte for byte.
//   - When a deletion rule (a maximum) and a retention rule (a minimum) both
//     match, the minimum wins and the conflict is reported.
//   - Among deletion rules, the earliest due date applies.
//
// Dates are calendar dates in the policy's time zone (Europe/Copenhagen by
// default); an item due on a date may go from 00:00 that day.
package policies

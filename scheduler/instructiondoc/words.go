package instructiondoc

import "fmt"

// Languages are the languages an instruction is written in: Danish (the
// default, also for an empty or unknown Doc.Lang), Swedish and English,
// as the configuration's locale.
var Languages = []string{"da", "sv", "en"}

// words are the Markdown and PDF forms' words in one language, the
// glossary's: sletteinstruks / gallringsinstruktion, sletteregel /
// gallringsregel, sletteblokering / bevarandespärr. The CSV form is for
// tools and keeps its English column names and actions in every
// language: its digest is what the ledger records.
type words map[string]string

func (d *Doc) words() words {
	if w, ok := docWords[d.Lang]; ok {
		return w
	}
	return docWords["da"]
}

// T is the text of key.
func (w words) T(key string) string {
	if s, ok := w[key]; ok {
		return s
	}
	return key
}

// F is the text of key with args formatted into it.
func (w words) F(key string, args ...any) string { return fmt.Sprintf(w.T(key), args...) }

var docWords = map[string]words{
	"da": {
		"title":           "Sletteinstruks %[1]s: %[2]s",
		"issued":          "Udstedt %[1]s af %[2]s. Fingeraftryk af CSV-udgaven: %[3]s.",
		"only_withdraws":  "Denne sletteinstruks trækker kun linjer i tidligere sletteinstrukser til %[1]s tilbage: en sletteblokering holder nu på oplysningerne nedenfor. Slet dem IKKE.",
		"nothing":         "Der er intet at bekræfte.",
		"by_number":       "Personer angives med deres nummer i skolesystemets eksport, aldrig med navn.",
		"no_api":          "%[1]s har ingen sletteadgang, som retentiond kan bruge. Slet oplysningerne nedenfor i %[1]s senest på de anførte datoer, og bekræft det derefter, senest %[2]s, med",
		"confirm":         `retentiond instructions confirm %[1]s --by "DIT NAVN"`,
		"due_now":         "%[1]s (slet nu)",
		"col.due":         "Slet senest",
		"col.rule":        "Sletteregel",
		"col.category":    "Kategori",
		"col.person":      "Person",
		"col.instr":       "Sletteinstruks",
		"col.was_due":     "Skulle slettes",
		"col.hold":        "Sletteblokering",
		"col.line_of":     "Linje i / skulle slettes",
		"col.person_hold": "Person (blokering)",
		"withdrawn":       "Trukket tilbage: slet IKKE",
		"withdrawn.text":  "En sletteblokering holder nu på oplysningerne i disse linjer fra tidligere sletteinstrukser. Udfør dem ikke.",
		"signature":       "Udført af (navn, dato, underskrift):",
		"footer":          "%[1]s, side %[2]d",
	},
	"sv": {
		"title":           "Gallringsinstruktion %[1]s: %[2]s",
		"issued":          "Utfärdad %[1]s av %[2]s. Fingeravtryck av CSV-versionen: %[3]s.",
		"only_withdraws":  "Den här gallringsinstruktionen drar bara tillbaka rader i tidigare gallringsinstruktioner till %[1]s: en bevarandespärr håller nu kvar uppgifterna nedan. Gallra dem INTE.",
		"nothing":         "Det finns inget att bekräfta.",
		"by_number":       "Personer anges med sitt nummer i skolsystemets export, aldrig med namn.",
		"no_api":          "%[1]s har inget gränssnitt för gallring som retentiond kan använda. Gallra uppgifterna nedan i %[1]s senast de angivna datumen och bekräfta det sedan, senast %[2]s, med",
		"confirm":         `retentiond instructions confirm %[1]s --by "DITT NAMN"`,
		"due_now":         "%[1]s (gallra nu)",
		"col.due":         "Gallra senast",
		"col.rule":        "Gallringsregel",
		"col.category":    "Kategori",
		"col.person":      "Person",
		"col.instr":       "Instruktion",
		"col.was_due":     "Skulle gallras",
		"col.hold":        "Bevarandespärr",
		"col.line_of":     "Rad i / skulle gallras",
		"col.person_hold": "Person (spärr)",
		"withdrawn":       "Tillbakadragna: gallra INTE",
		"withdrawn.text":  "En bevarandespärr håller nu kvar uppgifterna i de här raderna från tidigare gallringsinstruktioner. Utför dem inte.",
		"signature":       "Utfört av (namn, datum, underskrift):",
		"footer":          "%[1]s, sida %[2]d",
	},
	"en": {
		"title":           "Deletion instruction %[1]s: %[2]s",
		"issued":          "Issued %[1]s by %[2]s. Digest of the CSV form: %[3]s.",
		"only_withdraws":  "This instruction only withdraws lines of earlier instructions to %[1]s: a hold now keeps the data below. Do NOT delete it.",
		"nothing":         "There is nothing to confirm.",
		"by_number":       "People are given by their number in the school-system export, never by name.",
		"no_api":          "%[1]s has no deletion interface retentiond can use. Delete the data below in %[1]s by the dates given, then confirm it, by %[2]s at the latest, with",
		"confirm":         `retentiond instructions confirm %[1]s --by "YOUR NAME"`,
		"due_now":         "%[1]s (due now)",
		"col.due":         "Delete by",
		"col.rule":        "Rule",
		"col.category":    "Category",
		"col.person":      "Person",
		"col.instr":       "Instruction",
		"col.was_due":     "Was due",
		"col.hold":        "Hold",
		"col.line_of":     "Line of / was due",
		"col.person_hold": "Person (hold)",
		"withdrawn":       "Withdrawn: do NOT delete",
		"withdrawn.text":  "A hold now keeps the data of these lines of earlier instructions. Do not carry them out.",
		"signature":       "Carried out by (name, date, signature):",
		"footer":          "%[1]s, page %[2]d",
	},
}

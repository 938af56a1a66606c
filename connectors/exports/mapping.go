package exports

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Field is a fact about a person that an export column can hold.
type Field string

// The fields retentiond reads. Only ID is required; every other field is
// read when the mapping names a column for it.
const (
	FieldID          Field = "id"           // student or employee number, as in folder names
	FieldEmail       Field = "email"        // for linking mailboxes
	FieldStarted     Field = "started"      // enrolment or employment start
	FieldLeft        Field = "left"         // leaving date (udmeldt, slutdato, fratrådt)
	FieldBorn        Field = "born"         // birth date
	FieldSalaryFrame Field = "salary_frame" // lønramme: 36 and above is a manager
	FieldRole        Field = "role"         // job title, matched against manager_roles
	FieldPendingCase Field = "pending_case" // a work-injury case, lawsuit or labour dispute is open
	FieldCaseClosed  Field = "case_closed"  // when that case was closed
)

// Fields lists every field, in the order messages name them.
var Fields = []Field{FieldID, FieldEmail, FieldStarted, FieldLeft, FieldBorn, FieldSalaryFrame, FieldRole, FieldPendingCase, FieldCaseClosed}

func (f Field) isDate() bool {
	return f == FieldStarted || f == FieldLeft || f == FieldBorn || f == FieldCaseClosed
}

// Mapping says which column of an export holds which field.
type Mapping struct {
	// Kind is the kind of person the export lists: "student" or "staff".
	Kind string
	// Columns maps fields to column headers. Headers match without regard
	// to case or surrounding spaces.
	Columns map[Field]string
	// Ignore lists headers the export has and retentiond does not read
	// (names, classes). A header that is neither mapped nor ignored is an
	// error, unless IgnoreOthers is set: an unexpected column usually means
	// the export layout changed, and a changed layout may have moved the
	// dates too.
	Ignore       []string
	IgnoreOthers bool
	// ManagerRoles are values of the role column that make someone a
	// manager; ManagerSalaryFrame is the salary frame from which on someone
	// is (004 section 55.2 U1: 36). Zero disables that test.
	ManagerRoles       []string
	ManagerSalaryFrame int
}

// DefaultManagerSalaryFrame is the salary frame from which on an employee
// is a manager under archive duty (004 section 55.2 U1).
const DefaultManagerSalaryFrame = 36

// Preset is a shipped mapping for a known export. The column names of
// Lectio, TEA/SkoleIntra and HR exports are not published; these are the
// names their Danish user interfaces use, and a school whose export
// differs overrides single columns under the source's `columns:`.
type Preset struct {
	Name, Title string
	Mapping     Mapping
}

// Presets are the shipped mappings, by name.
var Presets = map[string]Preset{
	"lectio-students": {Name: "lectio-students", Title: "Lectio: student list (Elever)", Mapping: Mapping{
		Kind: "student",
		Columns: map[Field]string{
			FieldID: "Elevnummer", FieldStarted: "Startdato", FieldLeft: "Slutdato", FieldBorn: "Fødselsdato",
		},
		Ignore: []string{"Navn", "Fornavn", "Efternavn", "Hold", "Klasse", "Stamklasse", "Retning", "Uddannelse", "Status"},
	}},
	"lectio-teachers": {Name: "lectio-teachers", Title: "Lectio: teacher list (Lærere)", Mapping: Mapping{
		Kind: "staff",
		Columns: map[Field]string{
			FieldID: "Initialer", FieldEmail: "E-mail", FieldStarted: "Ansat fra", FieldLeft: "Ansat til",
		},
		Ignore: []string{"Navn", "Fornavn", "Efternavn", "Afdeling", "Status"},
	}},
	"tea-students": {Name: "tea-students", Title: "TEA / SkoleIntra: student list", Mapping: Mapping{
		Kind: "student",
		Columns: map[Field]string{
			FieldID: "Elevnummer", FieldStarted: "Indmeldt", FieldLeft: "Udmeldt", FieldBorn: "Fødselsdato",
		},
		Ignore: []string{"Navn", "Fornavn", "Efternavn", "Klasse", "Årgang", "Skole", "Afdeling"},
	}},
	"hr": {Name: "hr", Title: "HR system: employees (generic)", Mapping: Mapping{
		Kind: "staff",
		Columns: map[Field]string{
			FieldID: "Medarbejdernummer", FieldEmail: "E-mail", FieldStarted: "Ansættelsesdato",
			FieldLeft: "Fratrædelsesdato", FieldBorn: "Fødselsdato", FieldSalaryFrame: "Lønramme",
			FieldRole: "Stilling", FieldPendingCase: "Verserende sag", FieldCaseClosed: "Sag afsluttet",
		},
		Ignore:             []string{"Navn", "Fornavn", "Efternavn", "Afdeling", "Arbejdssted"},
		ManagerRoles:       []string{"Skoleleder", "Viceskoleleder", "Afdelingsleder", "Rektor", "Vicerektor", "Forstander", "Institutionsleder"},
		ManagerSalaryFrame: DefaultManagerSalaryFrame,
	}},
}

// PresetNames returns the names of the shipped presets, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(Presets))
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Validate checks m itself, before any file is read.
func (m *Mapping) Validate() error {
	if m.Kind != "student" && m.Kind != "staff" {
		return fmt.Errorf("subjects: %q is not a kind of person (write student or staff)", m.Kind)
	}
	if strings.TrimSpace(m.Columns[FieldID]) == "" {
		return fmt.Errorf("columns: no column is mapped to id")
	}
	seen := map[string]Field{}
	for _, f := range Fields {
		h := normHeader(m.Columns[f])
		if h == "" {
			continue
		}
		if other, dup := seen[h]; dup {
			return fmt.Errorf("columns: %q is mapped to both %s and %s", m.Columns[f], other, f)
		}
		seen[h] = f
	}
	for f := range m.Columns {
		if !slices.Contains(Fields, f) {
			return fmt.Errorf("columns: %q is not a field (fields: %s)", string(f), fieldList())
		}
	}
	for _, h := range m.Ignore {
		if f, ok := seen[normHeader(h)]; ok {
			return fmt.Errorf("ignore_columns: %q is mapped to %s", h, f)
		}
	}
	if m.ManagerSalaryFrame < 0 {
		return fmt.Errorf("manager_salary_frame: must not be negative")
	}
	return nil
}

func fieldList() string {
	s := make([]string, len(Fields))
	for i, f := range Fields {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// normHeader is how headers compare: without surrounding spaces, a
// byte-order mark or case.
func normHeader(h string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
}

// HeaderError says that an export's header row does not fit its mapping.
// It lists the headers found, so the mapping can be corrected from the
// message alone.
type HeaderError struct {
	Missing   []string // "left (\"Udmeldt\")"
	Unknown   []string // headers neither mapped nor ignored
	Duplicate []string // headers that occur more than once
	Found     []string
}

func (e *HeaderError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing column "+strings.Join(e.Missing, ", "))
	}
	if len(e.Unknown) > 0 {
		parts = append(parts, "unknown column "+quoteAll(e.Unknown)+" (map it under columns, or list it under ignore_columns)")
	}
	if len(e.Duplicate) > 0 {
		parts = append(parts, "column "+quoteAll(e.Duplicate)+" occurs more than once")
	}
	return strings.Join(parts, "; ") + "; the header row has " + quoteAll(e.Found)
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// layout is a mapping resolved against one header row: the column index of
// each field, -1 when not mapped.
type layout struct {
	col [len(fieldIndex)]int
	n   int // columns in the header
}

// fieldIndex orders Fields for layout.col.
var fieldIndex = [...]Field{FieldID, FieldEmail, FieldStarted, FieldLeft, FieldBorn, FieldSalaryFrame, FieldRole, FieldPendingCase, FieldCaseClosed}

func (m *Mapping) resolve(header []string) (*layout, error) {
	l := &layout{n: len(header)}
	at := map[string]int{}
	e := &HeaderError{}
	for i, h := range header {
		e.Found = append(e.Found, strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		n := normHeader(h)
		if _, dup := at[n]; dup && n != "" {
			e.Duplicate = append(e.Duplicate, e.Found[i])
			continue
		}
		at[n] = i
	}
	mapped := map[string]bool{}
	for k, f := range fieldIndex {
		l.col[k] = -1
		h := m.Columns[f]
		if normHeader(h) == "" {
			continue
		}
		mapped[normHeader(h)] = true
		i, ok := at[normHeader(h)]
		if !ok {
			e.Missing = append(e.Missing, fmt.Sprintf("%q for %s", h, f))
			continue
		}
		l.col[k] = i
	}
	if !m.IgnoreOthers {
		for i, h := range header {
			n := normHeader(h)
			if mapped[n] || slices.ContainsFunc(m.Ignore, func(x string) bool { return normHeader(x) == n }) {
				continue
			}
			if n == "" {
				// A column without a header: most often a trailing
				// delimiter. Nothing in it is read.
				continue
			}
			e.Unknown = append(e.Unknown, e.Found[i])
		}
	}
	if len(e.Missing)+len(e.Unknown)+len(e.Duplicate) > 0 {
		return nil, e
	}
	return l, nil
}

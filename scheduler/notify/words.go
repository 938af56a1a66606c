package notify

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/retentiond/retentiond/configs"
	"github.com/retentiond/retentiond/policies"
)

// words are the mails' words in one language: the configuration's
// locale (configs.Config.Locale: da by default, sv or en). The words
// people read are the glossary's and the console's (web/i18n.go):
// sletteliste / gallringslista for a batch, godkend / godkänn, afvis /
// avslå, sletteregel / gallringsregel, kilde / källa, sletteinstruks /
// gallringsinstruktion, sletteblokering / bevarandespärr for a hold.
// Commands, rule ids, source names and group ids stay as they are
// configured: they are what the reader types or looks up.
type words struct {
	lang string
	m    map[string]string
}

// wordsFor is lang's words; an unknown or empty lang is Danish, the
// default.
func wordsFor(lang string) words {
	if _, ok := mailWords[lang]; !ok {
		lang = configs.DefaultLocale
	}
	return words{lang: lang, m: mailWords[lang]}
}

// words are the words of the configuration in force.
func (n *Notifier) words() words { return wordsFor(n.P.Config.Locale) }

// T is the text of key (the key itself if it is missing, which
// TestMailWordsComplete keeps from happening).
func (w words) T(key string) string {
	if s, ok := w.m[key]; ok {
		return s
	}
	return key
}

// F is the text of key with args formatted into it. The texts number
// their arguments (%[1]d), so a language may put them in its own order.
func (w words) F(key string, args ...any) string { return fmt.Sprintf(w.T(key), args...) }

// count is n things of the kind key names ("item", "file", "day", …):
// key+".one" for 1, key+".other" otherwise, with n formatted in.
func (w words) count(key string, n int64) string {
	if n == 1 {
		return w.F(key+".one", n)
	}
	return w.F(key+".other", n)
}

// plural is key+".one" for n == 1 and key+".other" otherwise, with n
// formatted in where the text takes it: for a sentence that changes with
// the count ("You own the file below." / "You own the 3 files below.").
func (w words) plural(key string, n int64) string {
	k := key + ".other"
	if n == 1 {
		k = key + ".one"
	}
	if text := w.T(k); !strings.Contains(text, "%") {
		return text
	}
	return w.F(k, n)
}

// size is n bytes for people, as the console writes it: "1,5 MB" in
// Danish and Swedish, "1.5 MB" in English (powers of 1000).
func (w words) size(n int64) string {
	const unit = 1000
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	s := strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64)
	if w.lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " " + string("kMGTP"[exp]) + "B"
}

// period is p for people: "1 år og 2 måneder", "14 days".
func (w words) period(p policies.Period) string {
	var parts []string
	for _, c := range []struct {
		n   int
		key string
	}{{p.Years, "year"}, {p.Months, "month"}, {p.Weeks, "week"}, {p.Days, "day"}} {
		if c.n > 0 {
			parts = append(parts, w.count(c.key, int64(c.n)))
		}
	}
	switch len(parts) {
	case 0:
		return w.count("day", 0)
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " " + w.T("and") + " " + parts[len(parts)-1]
}

// mailWords are the mails' texts per language. Every key is in all three
// (TestMailWordsComplete), and each language's text takes the same
// arguments (TestMailWordsArguments).
var mailWords = map[string]map[string]string{
	"da": {
		"and":          "og",
		"item.one":     "%d element",
		"item.other":   "%d elementer",
		"file.one":     "%d fil",
		"file.other":   "%d filer",
		"line.one":     "%d linje",
		"line.other":   "%d linjer",
		"year.one":     "%d år",
		"year.other":   "%d år",
		"month.one":    "%d måned",
		"month.other":  "%d måneder",
		"week.one":     "%d uge",
		"week.other":   "%d uger",
		"day.one":      "%d dag",
		"day.other":    "%d dage",
		"hour.one":     "%d time",
		"hour.other":   "%d timer",
		"verb.delete":  "slettes",
		"verb.archive": "flyttes til arkivet",
		"what":         "%[1]s, %[2]s, på %[3]s",
		"progress":     "trin %[1]d: %[2]d af %[3]d fra gruppen %[4]s",

		"awaiting.subject": "retentiond: sletteliste %[1]d afventer din godkendelse (%[2]s, %[3]s)",
		"awaiting.text": `Sletteliste %[1]d afventer din godkendelse.

Sletteregel: %[2]s, %[3]s
Kilde:       %[4]s
Elementer:   %[5]d (%[6]s), skal %[7]s
Planlagt:    %[8]s af %[9]s
Godkendelse: %[10]s

Se hvert element og begrundelsen for, at det skal slettes, og godkend
eller afvis derefter listen:

    %[11]s
    %[12]s
    %[13]s

Intet %[7]s, før slettelisten er godkendt.
`,
		"remind.subject": "retentiond påmindelse: sletteliste %[1]d har ventet %[2]s på din godkendelse",
		"remind.text":    "Sletteliste %[1]d har ventet %[2]s på din godkendelse.\n\n",
		"digest.subject": "retentiond: %[1]d slettelister afventer din godkendelse",
		"digest.remind":  "retentiond påmindelse: %[1]d slettelister afventer stadig din godkendelse",

		"guarded.subject": "retentiond: sletteliste %[1]d (%[2]s) er tilbageholdt af størrelsesværnet",
		"guarded.text": `Sletteliste %[1]d efter sletteregel %[2]s (%[3]s) rummer
%[4]s: mere end størrelsesværnet lader gå igennem, uden at
IT-drift bekræfter størrelsen. Se den igennem, og bekræft den, hvis den er
rigtig:

    %[5]s
    %[6]s

Intet %[7]s indtil da.
`,

		"escalated.offered": `Den er givet videre til gruppen %[1]s (%[2]s): dens godkendere må nu
godkende det trin, listen venter på (trin %[3]d, gruppen %[4]s), i den
gruppes sted.`,
		"escalated.nofallback": `Sletteregel %[1]s nævner ingen escalate_to-gruppe, så kun gruppen %[2]s
kan godkende trin %[3]d: bed dem om at tage stilling, eller få listen afvist.`,
		"escalated.ops.subject": "retentiond: sletteliste %[1]d (%[2]s) har ventet mere end %[3]s på godkendelse",
		"escalated.ops.text": `Sletteliste %[1]d efter sletteregel %[2]s (%[3]s) rummer
%[4]s og har ventet mere end %[5]s
(sletteregelens escalate_after, %[6]s) på godkendelse.

Planlagt:    %[7]s af %[8]s
Godkendelse: %[9]s

%[10]s

Intet %[11]s, fordi listen venter: den skal stadig have alle godkendelser.

    %[12]s
`,
		"escalated.subject": "retentiond: sletteliste %[1]d er givet videre til dig (%[2]s, %[3]s)",
		"escalated.text": `Sletteliste %[1]d har ventet mere end %[2]s på godkendelse fra gruppen %[3]s.
Sletteregelen nævner gruppen %[4]s, som du er med i, som afløser: du må
nu godkende trin %[5]d i stedet for gruppen %[3]s.

Sletteregel: %[6]s, %[7]s
Kilde:       %[8]s
Elementer:   %[9]d (%[10]s), skal %[11]s
Planlagt:    %[12]s af %[13]s
Godkendelse: %[14]s

Se hvert element og begrundelsen for, at det skal slettes, og godkend
eller afvis derefter listen:

    %[15]s
    %[16]s
    %[17]s

Intet %[11]s, før slettelisten er godkendt: at vente godkender den aldrig.
`,

		"sourcefailed.subject": "retentiond: kilden %[1]s kunne ikke planlægges",
		"sourcefailed.text": `retentiond kunne ikke lave en sletteplan for kilden %[1]s:

    %[2]s

Intet blev slettet på grund af dette: en kilde, der ikke kan læses hel,
planlægges ikke. Indtil det lykkes, slettes intet af det, der skal
slettes der, og slettefristerne overskrides. Prøv selv med

    %[3]s

Denne besked sendes én gang om dagen, så længe kilden fejler.
`,
		"batchfailed.subject": "retentiond: sletteliste %[1]d fejlede",
		"batchfailed.text": `retentiond kunne ikke udføre sletteliste %[1]d:

    %[2]s

Det, der blev gjort før fejlen, står i sletteprotokollen; resten af
listen blev ikke rørt. Se den med

    %[3]s
`,
		"itemsfailed.subject": "retentiond: %[1]s i sletteliste %[2]d kunne ikke slettes",
		"itemsfailed.text": `Sletteliste %[1]d (sletteregel %[2]s på %[3]s) er udført: %[4]d udført, %[5]d sprunget over, %[6]d fejlet.

De elementer, der fejlede, er der stadig; sletteprotokollen viser
hvorfor for hvert af dem. Se dem med

    %[7]s

De planlægges igen, og skal slettes igen, ved kildens næste sletteplan.
`,
		"overdue.subject": "retentiond: slettefrist overskredet for %[1]s på %[2]s",
		"overdue.text": `Ved sin seneste sletteplan rummede kilden %[1]s %[2]s, der skulle
være slettet før i dag, og som stadig er der:

%[3]s
De venter på, at en sletteliste bliver godkendt eller udført. Se, hvad
der venter, med

    %[4]s

Denne besked sendes én gang om dagen, så længe slettefrister er overskredet.
`,
		"instroverdue.subject": "retentiond: sletteinstruks %[1]s til %[2]s har overskredet fristen",
		"instroverdue.text": `Sletteinstruks %[1]s (%[2]s, %[3]s) skulle være udført og bekræftet
senest %[4]s, og er ikke bekræftet.

    %[5]s
    %[6]s
`,

		"owner.subject":     "retentiond: %[1]d af dine filer slettes fra %[2]s",
		"owner.ops.subject": "retentiond: %[1]s uden en ejer at skrive til slettes fra %[2]s",
		"owner.intro.one":   "Du ejer filen nedenfor.",
		"owner.intro.other": "Du ejer de %[1]d filer nedenfor.",
		"owner.ops.intro.one": `Filen nedenfor har ingen ejer, retentiond kan skrive til (ejeren er
ukendt, eller notify.owner_email er ikke sat), så du får besked i stedet.`,
		"owner.ops.intro.other": `De %[1]d filer nedenfor har ingen ejer, retentiond kan skrive til (ejeren
er ukendt, eller notify.owner_email er ikke sat), så du får besked i stedet.`,
		"owner.rules.one": `Slettereglerne siger, at den skal slettes, og den slettes på eller efter
den anførte dato, når sletningen er godkendt, medmindre en
sletteblokering holder på den.`,
		"owner.rules.other": `Slettereglerne siger, at de skal slettes, og de slettes på eller efter
den anførte dato, når sletningen er godkendt, medmindre en
sletteblokering holder på dem.`,
		"owner.ask": `Skal en fil bevares (en sag er stadig åben, en klage eller en retssag
verserer, den er omfattet af arkivpligt), så skriv før den dato til

    %[1]s

med filens navn og begrundelsen; de lægger en sletteblokering på den
(retentiond holds add).`,
		"owner.ops.ask": `Skal en fil bevares (en sag er stadig åben, en klage eller en retssag
verserer, den er omfattet af arkivpligt), så læg en sletteblokering på
den før den dato:

    %[1]s`,
		"owner.line": "  %[1]s  %[2]s: %[3]s\n              (sletteregel %[4]s%[5]s)\n",

		"test.subject": "retentiond: prøvebesked",
		"test.text":    "Dette er en prøvebesked fra retentiond (retentiond notify test).\nNår du kan læse den, når beskederne frem til dig.\n",
	},
	"sv": {
		"and":          "och",
		"item.one":     "%d objekt",
		"item.other":   "%d objekt",
		"file.one":     "%d fil",
		"file.other":   "%d filer",
		"line.one":     "%d rad",
		"line.other":   "%d rader",
		"year.one":     "%d år",
		"year.other":   "%d år",
		"month.one":    "%d månad",
		"month.other":  "%d månader",
		"week.one":     "%d vecka",
		"week.other":   "%d veckor",
		"day.one":      "%d dag",
		"day.other":    "%d dagar",
		"hour.one":     "%d timme",
		"hour.other":   "%d timmar",
		"verb.delete":  "gallras",
		"verb.archive": "flyttas till arkivet",
		"what":         "%[1]s, %[2]s, på %[3]s",
		"progress":     "steg %[1]d: %[2]d av %[3]d från gruppen %[4]s",

		"awaiting.subject": "retentiond: gallringslista %[1]d väntar på ditt godkännande (%[2]s, %[3]s)",
		"awaiting.text": `Gallringslista %[1]d väntar på ditt godkännande.

Gallringsregel: %[2]s, %[3]s
Källa:          %[4]s
Objekt:         %[5]d (%[6]s), ska %[7]s
Planerad:       %[8]s av %[9]s
Godkännande:    %[10]s

Se varje objekt och motiveringen till att det ska gallras, och godkänn
eller avslå sedan listan:

    %[11]s
    %[12]s
    %[13]s

Inget %[7]s förrän gallringslistan är godkänd.
`,
		"remind.subject": "retentiond påminnelse: gallringslista %[1]d har väntat %[2]s på ditt godkännande",
		"remind.text":    "Gallringslista %[1]d har väntat %[2]s på ditt godkännande.\n\n",
		"digest.subject": "retentiond: %[1]d gallringslistor väntar på ditt godkännande",
		"digest.remind":  "retentiond påminnelse: %[1]d gallringslistor väntar fortfarande på ditt godkännande",

		"guarded.subject": "retentiond: gallringslista %[1]d (%[2]s) är tillbakahållen av storleksspärren",
		"guarded.text": `Gallringslista %[1]d enligt gallringsregel %[2]s (%[3]s) innehåller
%[4]s: mer än storleksspärren släpper igenom utan att IT-drift
bekräftar storleken. Granska den, och bekräfta den om den är riktig:

    %[5]s
    %[6]s

Inget %[7]s innan dess.
`,

		"escalated.offered": `Den har lämnats vidare till gruppen %[1]s (%[2]s): dess godkännare får nu
godkänna det steg listan väntar på (steg %[3]d, gruppen %[4]s) i den
gruppens ställe.`,
		"escalated.nofallback": `Gallringsregel %[1]s anger ingen escalate_to-grupp, så bara gruppen %[2]s
kan godkänna steg %[3]d: be dem ta ställning, eller låt listan avslås.`,
		"escalated.ops.subject": "retentiond: gallringslista %[1]d (%[2]s) har väntat mer än %[3]s på godkännande",
		"escalated.ops.text": `Gallringslista %[1]d enligt gallringsregel %[2]s (%[3]s) innehåller
%[4]s och har väntat mer än %[5]s
(regelns escalate_after, %[6]s) på godkännande.

Planerad:    %[7]s av %[8]s
Godkännande: %[9]s

%[10]s

Inget %[11]s för att listan väntar: den behöver fortfarande alla godkännanden.

    %[12]s
`,
		"escalated.subject": "retentiond: gallringslista %[1]d har lämnats vidare till dig (%[2]s, %[3]s)",
		"escalated.text": `Gallringslista %[1]d har väntat mer än %[2]s på godkännande från gruppen %[3]s.
Gallringsregeln anger gruppen %[4]s, som du är med i, som reserv: du får
nu godkänna steg %[5]d i stället för gruppen %[3]s.

Gallringsregel: %[6]s, %[7]s
Källa:          %[8]s
Objekt:         %[9]d (%[10]s), ska %[11]s
Planerad:       %[12]s av %[13]s
Godkännande:    %[14]s

Se varje objekt och motiveringen till att det ska gallras, och godkänn
eller avslå sedan listan:

    %[15]s
    %[16]s
    %[17]s

Inget %[11]s förrän gallringslistan är godkänd: att vänta godkänner den aldrig.
`,

		"sourcefailed.subject": "retentiond: källan %[1]s kunde inte planeras",
		"sourcefailed.text": `retentiond kunde inte göra en gallringsplan för källan %[1]s:

    %[2]s

Inget gallrades på grund av detta: en källa som inte kan läsas hel
planeras inte. Tills det lyckas gallras inget av det som ska gallras
där, och gallringsfristerna passeras. Prova själv med

    %[3]s

Det här meddelandet skickas en gång om dagen så länge källan inte kan läsas.
`,
		"batchfailed.subject": "retentiond: gallringslista %[1]d misslyckades",
		"batchfailed.text": `retentiond kunde inte verkställa gallringslista %[1]d:

    %[2]s

Det som gjordes före felet står i gallringsloggen; resten av listan
rördes inte. Se den med

    %[3]s
`,
		"itemsfailed.subject": "retentiond: %[1]s i gallringslista %[2]d kunde inte gallras",
		"itemsfailed.text": `Gallringslista %[1]d (gallringsregel %[2]s på %[3]s) är verkställd: %[4]d klara, %[5]d överhoppade, %[6]d misslyckade.

De objekt som misslyckades finns kvar; gallringsloggen visar varför för
vart och ett. Se dem med

    %[7]s

De planeras igen, och ska gallras igen, vid källans nästa gallringsplan.
`,
		"overdue.subject": "retentiond: gallringsfrist passerad för %[1]s på %[2]s",
		"overdue.text": `Vid sin senaste gallringsplan innehöll källan %[1]s %[2]s som skulle
ha gallrats före i dag och som finns kvar:

%[3]s
De väntar på att en gallringslista godkänns eller verkställs. Se vad som
väntar med

    %[4]s

Det här meddelandet skickas en gång om dagen så länge gallringsfrister är passerade.
`,
		"instroverdue.subject": "retentiond: gallringsinstruktion %[1]s för %[2]s är försenad",
		"instroverdue.text": `Gallringsinstruktion %[1]s (%[2]s, %[3]s) skulle vara utförd och
bekräftad senast %[4]s, och har inte bekräftats.

    %[5]s
    %[6]s
`,

		"owner.subject":     "retentiond: %[1]d av dina filer raderas från %[2]s",
		"owner.ops.subject": "retentiond: %[1]s utan ägare att skriva till raderas från %[2]s",
		"owner.intro.one":   "Du äger filen som står nedan.",
		"owner.intro.other": "Du äger de %[1]d filer som står nedan.",
		"owner.ops.intro.one": `Filen som står nedan har ingen ägare som retentiond kan skriva till
(ägaren är okänd, eller notify.owner_email är inte satt), så du får
beskedet i stället.`,
		"owner.ops.intro.other": `De %[1]d filer som står nedan har ingen ägare som retentiond kan skriva
till (ägaren är okänd, eller notify.owner_email är inte satt), så du får
beskedet i stället.`,
		"owner.rules.one": `Gallringsreglerna säger att den ska raderas, och den raderas på eller
efter det angivna datumet, när raderingen är godkänd, om inte en
bevarandespärr håller kvar den.`,
		"owner.rules.other": `Gallringsreglerna säger att de ska raderas, och de raderas på eller
efter det angivna datumet, när raderingen är godkänd, om inte en
bevarandespärr håller kvar dem.`,
		"owner.ask": `Måste en fil bevaras (ett ärende är fortfarande öppet, ett klagomål
eller en rättegång pågår, den omfattas av arkivplikt), skriv före det
datumet till

    %[1]s

med filens namn och motiveringen; de lägger en bevarandespärr på den
(retentiond holds add).`,
		"owner.ops.ask": `Måste en fil bevaras (ett ärende är fortfarande öppet, ett klagomål
eller en rättegång pågår, den omfattas av arkivplikt), lägg en
bevarandespärr på den före det datumet:

    %[1]s`,
		"owner.line": "  %[1]s  %[2]s: %[3]s\n              (gallringsregel %[4]s%[5]s)\n",

		"test.subject": "retentiond: testmeddelande",
		"test.text":    "Det här är ett testmeddelande från retentiond (retentiond notify test).\nOm du kan läsa det, når meddelandena fram till dig.\n",
	},
	"en": {
		"and":          "and",
		"item.one":     "%d item",
		"item.other":   "%d items",
		"file.one":     "%d file",
		"file.other":   "%d files",
		"line.one":     "%d line",
		"line.other":   "%d lines",
		"year.one":     "%d year",
		"year.other":   "%d years",
		"month.one":    "%d month",
		"month.other":  "%d months",
		"week.one":     "%d week",
		"week.other":   "%d weeks",
		"day.one":      "%d day",
		"day.other":    "%d days",
		"hour.one":     "%d hour",
		"hour.other":   "%d hours",
		"verb.delete":  "deleted",
		"verb.archive": "moved to the archive",
		"what":         "%[1]s, %[2]s, on %[3]s",
		"progress":     "stage %[1]d: %[2]d of %[3]d from group %[4]s",

		"awaiting.subject": "retentiond: batch %[1]d awaits your approval (%[2]s, %[3]s)",
		"awaiting.text": `Batch %[1]d awaits your approval.

Rule:      %[2]s, %[3]s
Source:    %[4]s
Items:     %[5]d (%[6]s), to be %[7]s
Planned:   %[8]s by %[9]s
Approval:  %[10]s

See every item and the reason it is due, then approve or reject it:

    %[11]s
    %[12]s
    %[13]s

Nothing is %[7]s until the batch is approved.
`,
		"remind.subject": "retentiond reminder: batch %[1]d has waited %[2]s for your approval",
		"remind.text":    "Batch %[1]d has waited %[2]s for your approval.\n\n",
		"digest.subject": "retentiond: %[1]d batches await your approval",
		"digest.remind":  "retentiond reminder: %[1]d batches still await your approval",

		"guarded.subject": "retentiond: batch %[1]d (%[2]s) is held by the size guard",
		"guarded.text": `Batch %[1]d of rule %[2]s (%[3]s) holds
%[4]s: more than the size guard lets through without
an operator's confirmation. Look at it, and confirm it if it is right:

    %[5]s
    %[6]s

Nothing is %[7]s until then.
`,

		"escalated.offered": `It was offered to group %[1]s (%[2]s): its approvers may now approve the
stage it waits for (stage %[3]d, group %[4]s) in that group's place.`,
		"escalated.nofallback": `Rule %[1]s names no escalate_to group, so only group %[2]s can approve
stage %[3]d: ask them to decide, or have the batch rejected.`,
		"escalated.ops.subject": "retentiond: batch %[1]d (%[2]s) has waited more than %[3]s for approval",
		"escalated.ops.text": `Batch %[1]d of rule %[2]s (%[3]s) holds
%[4]s and has waited more than %[5]s
(the rule's escalate_after, %[6]s) for approval.

Planned:   %[7]s by %[8]s
Approval:  %[9]s

%[10]s

Nothing is %[11]s by waiting: the batch still needs every approval.

    %[12]s
`,
		"escalated.subject": "retentiond: batch %[1]d was escalated to you (%[2]s, %[3]s)",
		"escalated.text": `Batch %[1]d has waited more than %[2]s for approval from group %[3]s.
Its rule names group %[4]s, which you are in, as the fallback: you may now
approve stage %[5]d in place of group %[3]s.

Rule:      %[6]s, %[7]s
Source:    %[8]s
Items:     %[9]d (%[10]s), to be %[11]s
Planned:   %[12]s by %[13]s
Approval:  %[14]s

See every item and the reason it is due, then approve or reject it:

    %[15]s
    %[16]s
    %[17]s

Nothing is %[11]s until the batch is approved: waiting never approves it.
`,

		"sourcefailed.subject": "retentiond: source %[1]s could not be planned",
		"sourcefailed.text": `retentiond could not plan source %[1]s:

    %[2]s

Nothing was deleted because of this: a source that cannot be read whole
is not planned. Until it can be, what is due there is not deleted and
becomes overdue. Try it by hand with

    %[3]s

This alert is sent once a day while the source fails.
`,
		"batchfailed.subject": "retentiond: batch %[1]d failed",
		"batchfailed.text": `retentiond could not execute batch %[1]d:

    %[2]s

What was done before the error is in the ledger; the rest of the batch
was not touched. See it with

    %[3]s
`,
		"itemsfailed.subject": "retentiond: %[1]s of batch %[2]d could not be deleted",
		"itemsfailed.text": `Batch %[1]d (rule %[2]s on %[3]s) was executed: %[4]d done, %[5]d skipped, %[6]d failed.

The items that failed are still there; the ledger records why for each.
See them with

    %[7]s

They are planned again, and due again, at the next plan of the source.
`,
		"overdue.subject": "retentiond: %[1]s overdue on %[2]s",
		"overdue.text": `At its latest plan, source %[1]s held %[2]s that were due before
today and are still there:

%[3]s
They wait for a batch to be approved or executed. See what waits with

    %[4]s

This alert is sent once a day while items are overdue.
`,
		"instroverdue.subject": "retentiond: deletion instruction %[1]s for %[2]s is overdue",
		"instroverdue.text": `Deletion instruction %[1]s (%[2]s, %[3]s) was to be carried out and
confirmed by %[4]s, and has not been confirmed.

    %[5]s
    %[6]s
`,

		"owner.subject":     "retentiond: %[1]d of your files will be deleted from %[2]s",
		"owner.ops.subject": "retentiond: %[1]s with no owner to tell will be deleted from %[2]s",
		"owner.intro.one":   "You own the file below.",
		"owner.intro.other": "You own the %[1]d files below.",
		"owner.ops.intro.one": `The file below has no owner retentiond can write to (the owner is
unknown, or notify.owner_email is not set), so you are told instead.`,
		"owner.ops.intro.other": `The %[1]d files below have no owner retentiond can write to (the owner is
unknown, or notify.owner_email is not set), so you are told instead.`,
		"owner.rules.one": `The retention rules make it due for deletion, and it will be deleted on
or after the date given, once the deletion is approved, unless a hold
keeps it.`,
		"owner.rules.other": `The retention rules make them due for deletion, and they will be deleted
on or after the date given, once the deletion is approved, unless a
hold keeps them.`,
		"owner.ask": `If a file must be kept (a case is still open, a complaint or a lawsuit
is pending, it falls under a duty to archive), write before that date to

    %[1]s

naming the file and why; they place a hold on it (retentiond holds add).`,
		"owner.ops.ask": `If a file must be kept (a case is still open, a complaint or a lawsuit
is pending, it falls under a duty to archive), place a hold on it before
that date:

    %[1]s`,
		"owner.line": "  %[1]s  %[2]s: %[3]s\n              (rule %[4]s%[5]s)\n",

		"test.subject": "retentiond: test notification",
		"test.text":    "This is a test e-mail from retentiond (retentiond notify test).\nIf you read it, notifications reach you.\n",
	},
}

// TestMail is the mail `retentiond notify test` sends to check the mail
// settings, in the configuration's language.
func TestMail(cfg *configs.Config, to string) Mail {
	w := wordsFor(cfg.Locale)
	return Mail{To: to, Subject: w.T("test.subject"), Text: w.T("test.text")}
}

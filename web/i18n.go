package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/retentiond/retentiond/configs"
)

// catalog holds the console's words per language (da, sv, en). Every key
// is in all three (TestCatalogComplete). The words users read are the
// glossary's (shared/GLOSSARY.md): sletteliste / gallringslista for a
// batch, godkend / godkänn, afvis / avslå, undtag fra sletning / undanta
// från gallring, behold til / behåll till, begrundelse / motivering.
var catalog = mergeWords(coreWords, opsWords, dashboardWords, summaryWords)

// mergeWords joins the catalogs of the console's parts; a key in two
// parts is a mistake caught when the program starts.
func mergeWords(parts ...map[string]map[string]string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, part := range parts {
		for lang, words := range part {
			if out[lang] == nil {
				out[lang] = map[string]string{}
			}
			for k, v := range words {
				if _, dup := out[lang][k]; dup {
					panic("web: the word " + k + " is in two catalogs")
				}
				out[lang][k] = v
			}
		}
	}
	return out
}

// coreWords are the words of sign-in, the layout, Waiting for me and the
// batch page.
var coreWords = map[string]map[string]string{
	"da": {
		"items.csv":                    "Hent alle elementer som CSV (regneark)",
		"autherr.unknown_identity":     "Du er logget ind, men din konto må ikke bruge retentiond. Bed IT-drift om at tilføje dig i konfigurationen.",
		"autherr.signin_failed":        "Login kunne ikke gennemføres. Prøv igen.",
		"autherr.signin_expired":       "Login tog for lang tid eller blev startet i en anden browser. Start forfra.",
		"autherr.signin_denied":        "Identitetsudbyderen loggede dig ikke ind.",
		"autherr.link_invalid":         "Linket til at logge ind er ikke gyldigt: det er brugt, udløbet eller har aldrig fandtes. Bed IT-drift om et nyt.",
		"autherr.rate_limited":         "For mange forsøg på at logge ind fra din adresse. Vent et minut, og prøv igen.",
		"autherr.csrf":                 "Forespørgslen havde ikke sessionens nøgle. Genindlæs siden og prøv igen.",
		"autherr.provider_unavailable": "Identitetsudbyderen kunne ikke nås. Prøv igen senere.",
		"autherr.not_configured":       "Denne måde at logge ind på er ikke sat op.",
		"autherr.no_app_role":          "Du er logget ind, men du har ingen rolle i retentiond hos identitetsudbyderen. Bed IT-drift om at tildele dig en af app-rollerne approver, operator eller auditor.",
		"signin.again":                 "Log ind igen",
		"app":                          "retentiond",
		"skip":                         "Gå til indhold",
		"nav.waiting":                  "Afventer mig",
		"nav.dashboard":                "Oversigt",
		"nav.ops":                      "Drift",
		"signed_in_as":                 "Logget ind som %s",
		"roles":                        "Roller: %s",
		"role.approver":                "godkender",
		"role.operator":                "IT-drift",
		"role.auditor":                 "revisor",
		"signout":                      "Log ud",
		"signin.title":                 "Log ind",
		"signin.intro":                 "Log ind for at se de slettelister, der afventer din godkendelse.",
		"signin.microsoft":             "Log ind med Microsoft",
		"signin.links":                 "Har du fået et engangslink til at logge ind, så åbn det. IT-drift kan udstede et nyt; det virker kun én gang og kun kort tid.",
		"signin.none":                  "Der er ikke sat nogen måde at logge ind på op. Kontakt IT-drift.",
		"waiting.title":                "Afventer mig",
		"waiting.intro":                "Slettelister, hvor det trin, der mangler, er din gruppes, og som du ikke har godkendt. Ældste først.",
		"waiting.none":                 "Ingen sletteliste afventer din godkendelse.",
		"col.batch":                    "Sletteliste",
		"col.rule":                     "Sletteregel",
		"col.basis":                    "Hjemmel",
		"col.items":                    "Elementer",
		"col.size":                     "Størrelse",
		"col.waited":                   "Har ventet",
		"col.progress":                 "Godkendelser",
		"col.path":                     "Sti",
		"col.due":                      "Skal slettes fra",
		"col.reason":                   "Begrundelse",
		"col.state":                    "Status",
		"col.exclude":                  "Undtag",
		"batch.title":                  "Sletteliste %d",
		"batch.summary":                "Oversigt",
		"batch.status":                 "Status",
		"batch.source":                 "Kilde",
		"batch.rule":                   "Sletteregel",
		"batch.policy":                 "Politik",
		"batch.digest":                 "Politikkens fingeraftryk",
		"batch.planned":                "Planlagt",
		"batch.planned_by":             "%s af %s",
		"batch.items":                  "Elementer",
		"batch.withdrawn":              "%d taget ud før sletning",
		"batch.size":                   "Størrelse",
		"batch.fingerprint":            "Fingeraftryk",
		"batch.executed":               "Udført: %d slettet, %d sprunget over, %d fejlet",
		"batch.method.archive":         "Elementerne flyttes til arkivet, når listen er godkendt.",
		"batch.rule_text":              "Sletteregel og politik",
		"batch.rule_text.show":         "Vis politikkens tekst",
		"stages.title":                 "Godkendelse",
		"stage.label":                  "Trin %d: %s",
		"stage.count":                  "%d af %d",
		"stage.waiting":                "afventer",
		"stage.by":                     "%s, %s (%s)",
		"stage.planner_only":           "Kun den, der planlagde listen, har godkendt: en anden godkender skal også godkende.",
		"stage.automatic":              "Sletteregel kræver ingen godkendelse.",
		"auth.link":                    "engangslink",
		"auth.oidc":                    "Microsoft-login",
		"auth.os_user":                 "brugerkonto på serveren",
		"auth.trusted_cli":             "kommandolinje (ubekræftet)",
		"auth.typed":                   "kommandolinje (indtastet navn)",
		"approve.title":                "Godkend",
		"approve.intro":                "Du godkender netop disse elementer (fingeraftryk %s). Ændres listen, skal den godkendes igen.",
		"approve.button":               "Godkend sletteliste %d",
		"reject.title":                 "Afvis",
		"reject.intro":                 "Afvis hele listen: intet slettes, og elementerne foreslås først igen efter datoen.",
		"reject.button":                "Afvis sletteliste %d",
		"exclude.title":                "Undtag fra sletning",
		"exclude.intro":                "Undtag enkelte elementer (sæt flueben i listen nedenfor, eller skriv stierne, én pr. linje) eller en mappe (et mønster som Elever/2019/**).",
		"exclude.paths":                "Stier, én pr. linje",
		"exclude.pattern":              "Mappe eller mønster",
		"exclude.button":               "Undtag fra sletning",
		"field.reason":                 "Begrundelse (kommer i sletteprotokollen: nævn ingen personer)",
		"field.keep_until":             "Behold til (tom: slettereglens frist for ny vurdering)",
		"items.title":                  "Elementer",
		"items.search":                 "Søg i stierne",
		"items.search.button":          "Søg",
		"items.search.clear":           "Vis alle",
		"items.range":                  "Viser %s–%s af %s",
		"items.range_q":                "Viser %s–%s af %s fund",
		"items.range_more":             "Viser %s–%s af flere fund",
		"items.none":                   "Ingen elementer.",
		"items.none_q":                 "Ingen stier indeholder søgningen.",
		"items.prev":                   "Forrige side",
		"items.next":                   "Næste side",
		"items.select":                 "Undtag %s",
		"state.in_batch":               "på listen",
		"state.withdrawn":              "taget ud (%s)",
		"state.now_in":                 "nu på sletteliste %d",
		"status.guarded":               "afventer IT-drift (stor liste)",
		"status.pending":               "afventer godkendelse",
		"status.approved":              "godkendt",
		"status.executing":             "slettes nu",
		"status.done":                  "udført",
		"status.rejected":              "afvist",
		"status.superseded":            "erstattet",
		"status.withdrawn":             "taget tilbage",
		"done.approved":                "Sletteliste godkendt: den slettes ved næste kørsel.",
		"done.stage":                   "Din godkendelse er registreret. Listen afventer næste trin.",
		"done.rejected":                "Sletteliste afvist. Beslutningen om opbevaring er registreret.",
		"done.excluded":                "Elementerne er undtaget fra sletning.",
		"err.title":                    "Det kunne ikke lade sig gøre",
		"err.not_allowed":              "Ikke tilladt: %s",
		"err.state":                    "Listen tillader det ikke nu: %s",
		"err.csrf":                     "Formularen er udløbet. Genindlæs siden og prøv igen.",
		"err.origin":                   "Forespørgslen kom fra en anden side og er afvist.",
		"err.not_found":                "Sletteliste findes ikke.",
		"err.internal":                 "Der opstod en fejl. IT-drift kan se årsagen i loggen.",
		"err.reason":                   "Skriv en begrundelse.",
		"err.date":                     "%q er ikke en dato (skriv ÅÅÅÅ-MM-DD).",
		"err.nothing":                  "Vælg de elementer, der skal undtages, eller skriv et mønster.",
		"err.no_match":                 "Intet element passer: %s",
		"err.bad_input":                "%s",
		"dur.hours":                    "%d timer",
		"dur.days":                     "%d dage",
		"dur.day":                      "1 dag",
		"dur.less_hour":                "under en time",
	},
	"sv": {
		"items.csv":                    "Hämta alla objekt som CSV (kalkylblad)",
		"autherr.unknown_identity":     "Du är inloggad, men ditt konto får inte använda retentiond. Be IT-drift att lägga till dig i konfigurationen.",
		"autherr.signin_failed":        "Inloggningen kunde inte slutföras. Försök igen.",
		"autherr.signin_expired":       "Inloggningen tog för lång tid eller startades i en annan webbläsare. Börja om.",
		"autherr.signin_denied":        "Identitetsleverantören loggade inte in dig.",
		"autherr.link_invalid":         "Inloggningslänken är inte giltig: den är använd, har gått ut eller har aldrig funnits. Be IT-drift om en ny.",
		"autherr.rate_limited":         "För många inloggningsförsök från din adress. Vänta en minut och försök igen.",
		"autherr.csrf":                 "Begäran saknade sessionens nyckel. Ladda om sidan och försök igen.",
		"autherr.provider_unavailable": "Identitetsleverantören kunde inte nås. Försök igen senare.",
		"autherr.not_configured":       "Det här sättet att logga in är inte konfigurerat.",
		"autherr.no_app_role":          "Du är inloggad, men du har ingen roll i retentiond hos identitetsleverantören. Be IT-driften att tilldela dig en av approllerna approver, operator eller auditor.",
		"signin.again":                 "Logga in igen",
		"app":                          "retentiond",
		"skip":                         "Hoppa till innehållet",
		"nav.waiting":                  "Väntar på mig",
		"nav.dashboard":                "Översikt",
		"nav.ops":                      "Drift",
		"signed_in_as":                 "Inloggad som %s",
		"roles":                        "Roller: %s",
		"role.approver":                "godkännare",
		"role.operator":                "IT-drift",
		"role.auditor":                 "granskare",
		"signout":                      "Logga ut",
		"signin.title":                 "Logga in",
		"signin.intro":                 "Logga in för att se gallringslistorna som väntar på ditt godkännande.",
		"signin.microsoft":             "Logga in med Microsoft",
		"signin.links":                 "Har du fått en engångslänk för att logga in, öppna den. IT-drift kan utfärda en ny; den fungerar bara en gång och en kort tid.",
		"signin.none":                  "Inget sätt att logga in är konfigurerat. Kontakta IT-drift.",
		"waiting.title":                "Väntar på mig",
		"waiting.intro":                "Gallringslistor där steget som återstår är din grupps och som du inte har godkänt. Äldsta först.",
		"waiting.none":                 "Ingen gallringslista väntar på ditt godkännande.",
		"col.batch":                    "Gallringslista",
		"col.rule":                     "Gallringsregel",
		"col.basis":                    "Grund",
		"col.items":                    "Objekt",
		"col.size":                     "Storlek",
		"col.waited":                   "Har väntat",
		"col.progress":                 "Godkännanden",
		"col.path":                     "Sökväg",
		"col.due":                      "Ska gallras från",
		"col.reason":                   "Motivering",
		"col.state":                    "Status",
		"col.exclude":                  "Undanta",
		"batch.title":                  "Gallringslista %d",
		"batch.summary":                "Översikt",
		"batch.status":                 "Status",
		"batch.source":                 "Källa",
		"batch.rule":                   "Gallringsregel",
		"batch.policy":                 "Policy",
		"batch.digest":                 "Policyns fingeravtryck",
		"batch.planned":                "Planerad",
		"batch.planned_by":             "%s av %s",
		"batch.items":                  "Objekt",
		"batch.withdrawn":              "%d uttagna före gallring",
		"batch.size":                   "Storlek",
		"batch.fingerprint":            "Fingeravtryck",
		"batch.executed":               "Utförd: %d raderade, %d överhoppade, %d misslyckade",
		"batch.method.archive":         "Objekten flyttas till arkivet när listan är godkänd.",
		"batch.rule_text":              "Gallringsregel och policy",
		"batch.rule_text.show":         "Visa policyns text",
		"stages.title":                 "Godkännande",
		"stage.label":                  "Steg %d: %s",
		"stage.count":                  "%d av %d",
		"stage.waiting":                "väntar",
		"stage.by":                     "%s, %s (%s)",
		"stage.planner_only":           "Bara den som planerade listan har godkänt: en annan godkännare måste också godkänna.",
		"stage.automatic":              "Gallringsregeln kräver inget godkännande.",
		"auth.link":                    "engångslänk",
		"auth.oidc":                    "Microsoft-inloggning",
		"auth.os_user":                 "användarkonto på servern",
		"auth.trusted_cli":             "kommandorad (obekräftad)",
		"auth.typed":                   "kommandorad (inskrivet namn)",
		"approve.title":                "Godkänn",
		"approve.intro":                "Du godkänner just dessa objekt (fingeravtryck %s). Ändras listan måste den godkännas igen.",
		"approve.button":               "Godkänn gallringslista %d",
		"reject.title":                 "Avslå",
		"reject.intro":                 "Avslå hela listan: inget raderas, och objekten föreslås igen först efter datumet.",
		"reject.button":                "Avslå gallringslista %d",
		"exclude.title":                "Undanta från gallring",
		"exclude.intro":                "Undanta enskilda objekt (markera dem i listan nedan, eller skriv sökvägarna, en per rad) eller en mapp (ett mönster som Elever/2019/**).",
		"exclude.paths":                "Sökvägar, en per rad",
		"exclude.pattern":              "Mapp eller mönster",
		"exclude.button":               "Undanta från gallring",
		"field.reason":                 "Motivering (hamnar i gallringsloggen: nämn inga personer)",
		"field.keep_until":             "Behåll till (tomt: gallringsregelns tid för ny prövning)",
		"items.title":                  "Objekt",
		"items.search":                 "Sök i sökvägarna",
		"items.search.button":          "Sök",
		"items.search.clear":           "Visa alla",
		"items.range":                  "Visar %s–%s av %s",
		"items.range_q":                "Visar %s–%s av %s träffar",
		"items.range_more":             "Visar %s–%s av fler träffar",
		"items.none":                   "Inga objekt.",
		"items.none_q":                 "Inga sökvägar innehåller sökningen.",
		"items.prev":                   "Föregående sida",
		"items.next":                   "Nästa sida",
		"items.select":                 "Undanta %s",
		"state.in_batch":               "på listan",
		"state.withdrawn":              "uttaget (%s)",
		"state.now_in":                 "nu på gallringslista %d",
		"status.guarded":               "väntar på IT-drift (stor lista)",
		"status.pending":               "väntar på godkännande",
		"status.approved":              "godkänd",
		"status.executing":             "gallras nu",
		"status.done":                  "utförd",
		"status.rejected":              "avslagen",
		"status.superseded":            "ersatt",
		"status.withdrawn":             "återkallad",
		"done.approved":                "Gallringslistan är godkänd: den gallras vid nästa körning.",
		"done.stage":                   "Ditt godkännande är registrerat. Listan väntar på nästa steg.",
		"done.rejected":                "Gallringslistan är avslagen. Beslutet om bevarande är registrerat.",
		"done.excluded":                "Objekten är undantagna från gallring.",
		"err.title":                    "Det gick inte",
		"err.not_allowed":              "Inte tillåtet: %s",
		"err.state":                    "Listan tillåter det inte nu: %s",
		"err.csrf":                     "Formuläret har gått ut. Ladda om sidan och försök igen.",
		"err.origin":                   "Begäran kom från en annan webbplats och avvisades.",
		"err.not_found":                "Gallringslistan finns inte.",
		"err.internal":                 "Ett fel uppstod. IT-drift kan se orsaken i loggen.",
		"err.reason":                   "Skriv en motivering.",
		"err.date":                     "%q är inget datum (skriv ÅÅÅÅ-MM-DD).",
		"err.nothing":                  "Välj objekten som ska undantas, eller skriv ett mönster.",
		"err.no_match":                 "Inget objekt passar: %s",
		"err.bad_input":                "%s",
		"dur.hours":                    "%d timmar",
		"dur.days":                     "%d dagar",
		"dur.day":                      "1 dag",
		"dur.less_hour":                "under en timme",
	},
	"en": {
		"items.csv":                    "Download every item as CSV (spreadsheet)",
		"autherr.unknown_identity":     "You signed in, but your account is not one that may use retentiond. Ask an operator to add you to the configuration.",
		"autherr.signin_failed":        "The sign-in could not be completed. Please try again.",
		"autherr.signin_expired":       "The sign-in took too long or was started in another browser. Please start again.",
		"autherr.signin_denied":        "The identity provider did not sign you in.",
		"autherr.link_invalid":         "This sign-in link is not valid: it was used already, has expired, or never existed. Ask an operator for a new one.",
		"autherr.rate_limited":         "Too many sign-in attempts from your address. Wait a minute and try again.",
		"autherr.csrf":                 "The request did not carry this session's token. Reload the page and try again.",
		"autherr.provider_unavailable": "The identity provider could not be reached. Please try again later.",
		"autherr.not_configured":       "This way of signing in is not configured.",
		"autherr.no_app_role":          "You are signed in, but no role in retentiond is assigned to you in the identity provider. Ask IT operations to assign you one of the app roles approver, operator or auditor.",
		"signin.again":                 "Sign in again",
		"app":                          "retentiond",
		"skip":                         "Skip to content",
		"nav.waiting":                  "Waiting for me",
		"nav.dashboard":                "Dashboard",
		"nav.ops":                      "Operations",
		"signed_in_as":                 "Signed in as %s",
		"roles":                        "Roles: %s",
		"role.approver":                "approver",
		"role.operator":                "operator",
		"role.auditor":                 "auditor",
		"signout":                      "Sign out",
		"signin.title":                 "Sign in",
		"signin.intro":                 "Sign in to see the batches that wait for your approval.",
		"signin.microsoft":             "Sign in with Microsoft",
		"signin.links":                 "If you were given a one-time sign-in link, open it. Your operator can issue a new one (retentiond web link); it works once and for a short time only.",
		"signin.none":                  "No way to sign in is configured. Ask your operator.",
		"waiting.title":                "Waiting for me",
		"waiting.intro":                "Batches whose open stage is your group's and which you have not approved. Oldest first.",
		"waiting.none":                 "No batch waits for your approval.",
		"col.batch":                    "Batch",
		"col.rule":                     "Retention rule",
		"col.basis":                    "Legal basis",
		"col.items":                    "Items",
		"col.size":                     "Size",
		"col.waited":                   "Waited",
		"col.progress":                 "Approvals",
		"col.path":                     "Path",
		"col.due":                      "Due since",
		"col.reason":                   "Reason",
		"col.state":                    "State",
		"col.exclude":                  "Exclude",
		"batch.title":                  "Batch %d",
		"batch.summary":                "Summary",
		"batch.status":                 "Status",
		"batch.source":                 "Source",
		"batch.rule":                   "Retention rule",
		"batch.policy":                 "Policy",
		"batch.digest":                 "Policy digest",
		"batch.planned":                "Planned",
		"batch.planned_by":             "%s by %s",
		"batch.items":                  "Items",
		"batch.withdrawn":              "%d withdrawn before execution",
		"batch.size":                   "Size",
		"batch.fingerprint":            "Fingerprint",
		"batch.executed":               "Executed: %d deleted, %d skipped, %d failed",
		"batch.method.archive":         "The items are moved to the archive once the batch is approved.",
		"batch.rule_text":              "Retention rule and policy",
		"batch.rule_text.show":         "Show the policy's text",
		"stages.title":                 "Approval",
		"stage.label":                  "Stage %d: %s",
		"stage.count":                  "%d of %d",
		"stage.waiting":                "waiting",
		"stage.by":                     "%s, %s (%s)",
		"stage.planner_only":           "Only the person who planned the batch approved: another approver must approve too.",
		"stage.automatic":              "The retention rule needs no approval.",
		"auth.link":                    "one-time link",
		"auth.oidc":                    "Microsoft sign-in",
		"auth.os_user":                 "account on the server",
		"auth.trusted_cli":             "command line (unverified)",
		"auth.typed":                   "command line (typed name)",
		"approve.title":                "Approve",
		"approve.intro":                "You approve exactly these items (fingerprint %s). If the batch changes, it must be approved again.",
		"approve.button":               "Approve batch %d",
		"reject.title":                 "Reject",
		"reject.intro":                 "Reject the whole batch: nothing is deleted, and its items are proposed again only after the date.",
		"reject.button":                "Reject batch %d",
		"exclude.title":                "Exclude",
		"exclude.intro":                "Exclude single items (tick them in the list below, or write their paths, one a line) or a folder (a pattern such as Elever/2019/**).",
		"exclude.paths":                "Paths, one a line",
		"exclude.pattern":              "Folder or pattern",
		"exclude.button":               "Exclude",
		"field.reason":                 "Reason (goes into the ledger: name no people)",
		"field.keep_until":             "Keep until (empty: the rule's review period)",
		"items.title":                  "Items",
		"items.search":                 "Search the paths",
		"items.search.button":          "Search",
		"items.search.clear":           "Show all",
		"items.range":                  "Showing %s–%s of %s",
		"items.range_q":                "Showing %s–%s of %s matches",
		"items.range_more":             "Showing %s–%s of more matches",
		"items.none":                   "No items.",
		"items.none_q":                 "No path contains the search.",
		"items.prev":                   "Previous page",
		"items.next":                   "Next page",
		"items.select":                 "Exclude %s",
		"state.in_batch":               "in the batch",
		"state.withdrawn":              "withdrawn (%s)",
		"state.now_in":                 "now in batch %d",
		"status.guarded":               "waits for an operator (large batch)",
		"status.pending":               "waits for approval",
		"status.approved":              "approved",
		"status.executing":             "being executed",
		"status.done":                  "executed",
		"status.rejected":              "rejected",
		"status.superseded":            "superseded",
		"status.withdrawn":             "withdrawn",
		"done.approved":                "Batch approved: it runs at the next execution.",
		"done.stage":                   "Your approval is recorded. The batch waits for its next stage.",
		"done.rejected":                "Batch rejected. The retention decision is recorded.",
		"done.excluded":                "The items are excluded.",
		"err.title":                    "That did not work",
		"err.not_allowed":              "Not allowed: %s",
		"err.state":                    "The batch does not allow this now: %s",
		"err.csrf":                     "The form has expired. Reload the page and try again.",
		"err.origin":                   "The request came from another site and was refused.",
		"err.not_found":                "No such batch.",
		"err.internal":                 "Something went wrong. Your operator finds the cause in the log.",
		"err.reason":                   "Give a reason.",
		"err.date":                     "%q is not a date (write YYYY-MM-DD).",
		"err.nothing":                  "Tick the items to exclude, or write a pattern.",
		"err.no_match":                 "No item matches: %s",
		"err.bad_input":                "%s",
		"dur.hours":                    "%d hours",
		"dur.days":                     "%d days",
		"dur.day":                      "1 day",
		"dur.less_hour":                "less than an hour",
	},
}

// Locale is one language's words, as templates use them.
type Locale struct {
	Lang string
	m    map[string]string
}

// T returns the words of key.
func (l Locale) T(key string) string {
	if s, ok := l.m[key]; ok {
		return s
	}
	return key
}

// F returns the words of key with args formatted into them.
func (l Locale) F(key string, args ...any) string { return fmt.Sprintf(l.T(key), args...) }

// Size is n bytes for people: "1,5 MB" in Danish and Swedish.
func (l Locale) Size(n int64) string {
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
	if l.Lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " " + string("kMGTP"[exp]) + "B"
}

// Number is n with thousands grouped: 1.000.000 (da), 1 000 000 (sv),
// 1,000,000 (en).
func (l Locale) Number(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := map[string]string{"da": ".", "sv": "\u00a0", "en": ","}[l.Lang]
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// locale picks the language of a response: the configured one, or, when
// the configuration lets the browser choose, the first of da, sv and en
// its Accept-Language names.
func locale(w *configs.Web, r *http.Request) Locale {
	lang := configs.DefaultLocale
	if w != nil && w.Locale != "" {
		lang = w.Locale
	}
	if w != nil && w.AcceptLanguage {
		if l := acceptLanguage(r.Header.Get("Accept-Language")); l != "" {
			lang = l
		}
	}
	return Locale{Lang: lang, m: catalog[lang]}
}

// acceptLanguage returns the language of da, sv and en that an
// Accept-Language header prefers, "" for none of them.
func acceptLanguage(h string) string {
	best, bestQ := "", 0.0
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if slices.Contains(configs.Locales, base) && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

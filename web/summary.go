package web

// summaryWords are the batch summary's and downloads' words (merged into catalog).
var summaryWords = map[string]map[string]string{"da": {}, "sv": {}, "en": {}}

package m365

import (
	"context"
	"fmt"
	"net/mail"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
)

// SendMail sends a plain-text e-mail as the mailbox from, to one
// recipient (an address, bare or with a display name), with Graph's
// sendMail. The app needs the Mail.Send application permission, which an
// application access policy should limit to that mailbox. The message is
// saved in the mailbox's Sent Items, where an administrator can see what
// retentiond told people. Throttling is retried as for every request.
func (c *Connector) SendMail(ctx context.Context, from, to, subject, text string) error {
	addr, err := mail.ParseAddress(to)
	if err != nil {
		return fmt.Errorf("send mail: recipient %q: %w", to, err)
	}
	ea := models.NewEmailAddress()
	ea.SetAddress(&addr.Address)
	if addr.Name != "" {
		ea.SetName(&addr.Name)
	}
	rcpt := models.NewRecipient()
	rcpt.SetEmailAddress(ea)
	body := models.NewItemBody()
	ct := models.TEXT_BODYTYPE
	body.SetContentType(&ct)
	body.SetContent(&text)
	msg := models.NewMessage()
	msg.SetSubject(&subject)
	msg.SetBody(body)
	msg.SetToRecipients([]models.Recipientable{rcpt})
	req := users.NewItemSendMailPostRequestBody()
	req.SetMessage(msg)
	save := true
	req.SetSaveToSentItems(&save)
	if err := c.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("send mail: %w", err)
	}
	if err := c.users.ByUserId(from).SendMail().Post(ctx, req, nil); err != nil {
		return connectorError("send mail", from, err)
	}
	return nil
}

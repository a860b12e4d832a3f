import Delivery
import Settings

extension Settings {
    /// The relay as the settings and the environment describe it: what `notify` sends through and
    /// what `doctor` checks, made in one place.
    public var relay: SMTPRelay {
        SMTPRelay(url: smtp.url, from: smtp.from, fromName: hub.name, username: smtp.username, password: smtp.password,
                  caFile: smtp.caFile, allowPlaintextLoopback: smtp.allowPlaintextLoopback, heloName: smtp.heloName)
    }

    public var webhooks: WebhookConfiguration {
        WebhookConfiguration(secret: https.webhookSecret, caFile: https.caFile)
    }
}

import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface MtlsMaterial {
  certPem: string;
  keyPem: string;
  /** every CA whose client certificates are accepted */
  trustedCaPems: string[];
}

/**
 * The mTLS listener: node's TLS with client certificates required and verified against the trusted CAs.
 * GET /whoami answers the verified client certificate's subject and issuer. Trust changes apply to new
 * connections at once (setSecureContext).
 */
export class MtlsListener {
  private readonly server: Server;

  constructor(material: MtlsMaterial) {
    this.server = createServer(
      { ...contextOf(material), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        const peer = socket.getPeerCertificate();
        if (req.url !== '/whoami') {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: `no route for ${req.method} ${req.url}` }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
        res.end(
          JSON.stringify({ subject: peer.subject?.CN, issuer: peer.issuer?.CN, fingerprint: peer.fingerprint256 }),
        );
      },
    );
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
  }

  update(material: MtlsMaterial): void {
    this.server.setSecureContext(contextOf(material));
  }

  close(): void {
    this.server.close();
    this.server.closeAllConnections();
  }
}

function contextOf(m: MtlsMaterial) {
  return { cert: m.certPem, key: m.keyPem, ca: m.trustedCaPems };
}

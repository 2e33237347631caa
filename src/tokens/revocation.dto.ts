import { FormField } from '../common/form-field.decorator';

/** POST /oauth2/revoke (RFC 7009 §2.1) and POST /oauth2/introspect (RFC 7662 §2.1). */
export class RevokeRequestDto {
  /**
   * Any length up to the 64 KiB body limit: a token this server did not issue (another
   * issuer's JWT is often longer than 256 characters) is not a malformed request but simply
   * unknown, `{"active": false}` / 200 (RFC 7662 §2.2, RFC 7009 §2.2).
   */
  @FormField(64 * 1024) token?: string;
  @FormField(32) token_type_hint?: string;
  @FormField(256) client_id?: string;
  @FormField(256) client_secret?: string;
}

/** POST /oauth2/revoke/super and /oauth2/revoke/super/all (README: API at a glance). */
export class SuperRevokeRequestDto {
  @FormField(256) super_client_id?: string;
  @FormField(256) super_client_secret?: string;
  @FormField(256) token?: string;
  @FormField(256) client_id?: string;
}

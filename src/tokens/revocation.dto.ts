import { FormField } from '../common/form-field.decorator';

/** POST /oauth2/revoke (RFC 7009 §2.1) and POST /oauth2/introspect (RFC 7662 §2.1). */
export class RevokeRequestDto {
  @FormField(256) token?: string;
  @FormField(32) token_type_hint?: string;
  @FormField(256) client_id?: string;
  @FormField(256) client_secret?: string;
}

/** POST /oauth2/revoke/super and /oauth2/revoke/super/all (SPEC §4). */
export class SuperRevokeRequestDto {
  @FormField(256) super_client_id?: string;
  @FormField(256) super_client_secret?: string;
  @FormField(256) token?: string;
  @FormField(256) client_id?: string;
}

import { FormField } from '../common/form-field.decorator';

/** The form of POST /oauth2/token (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6). */
export class TokenRequestDto {
  @FormField(64) grant_type?: string;
  @FormField(256) code?: string;
  @FormField(2000) redirect_uri?: string;
  @FormField(256) code_verifier?: string;
  @FormField(256) refresh_token?: string;
  @FormField(2000) scope?: string;
  @FormField(256) username?: string;
  @FormField(1024) password?: string;
  @FormField(256) client_id?: string;
  @FormField(256) client_secret?: string;
}

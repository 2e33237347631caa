import { FormField } from '../common/form-field.decorator';

/** The form of POST /oauth2/token/list (SPEC §3). */
export class TokenListRequestDto {
  @FormField(256) super_client_id?: string;
  @FormField(256) super_client_secret?: string;
  @FormField(32) token_type?: string;
  @FormField(256) client_id?: string;
  @FormField(16) start?: string;
  @FormField(16) max_results?: string;
  @FormField(8) counts_only?: string;
}

import { FormField } from '../common/form-field.decorator';

/** The query of GET /oauth2/authorize (RFC 6749 §4.1.1, RFC 7636 §4.3). */
export class AuthorizeQueryDto {
  @FormField(32) response_type?: string;
  @FormField(256) client_id?: string;
  @FormField(2000) redirect_uri?: string;
  @FormField(2000) scope?: string;
  @FormField(1000) state?: string;
  @FormField(256) code_challenge?: string;
  @FormField(16) code_challenge_method?: string;
}

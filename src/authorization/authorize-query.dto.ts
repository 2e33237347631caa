import { FormField } from '../common/form-field.decorator';
import { MAX_STATE_LENGTH } from '../common/oauth-error';

/**
 * The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3): the query of
 * GET /oauth2/authorize, and the form body of Kustvakt's POST /api/v1.0/oauth2/authorize
 * (src/kustvakt/), read by the same rules.
 */
export class AuthorizeQueryDto {
  @FormField(32) response_type?: string;
  @FormField(256) client_id?: string;
  @FormField(2000) redirect_uri?: string;
  @FormField(2000) scope?: string;
  @FormField(MAX_STATE_LENGTH) state?: string;
  @FormField(256) code_challenge?: string;
  @FormField(16) code_challenge_method?: string;
}

import { useOutletContext } from 'react-router';
import type { Deployment } from '../../../api/types';

/** What the deployment layout hands to its tabs: the live deployment. */
export interface DeploymentOutletContext {
  deployment: Deployment;
}

export function useDeploymentOutlet(): DeploymentOutletContext {
  return useOutletContext<DeploymentOutletContext>();
}

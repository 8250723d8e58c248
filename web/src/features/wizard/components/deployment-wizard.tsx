import { Alert, Anchor, Button, Group, Paper, Stack, Stepper, Text, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconArrowLeft, IconArrowRight, IconRocket } from '@tabler/icons-react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { isApiError } from '../../../api/api-error';
import type { Deployment, Platform } from '../../../api/types';
import { ProblemAlert } from '../../../components/problem-alert';
import { mapIssues } from '../../../lib/spec-issues';
import { randomId } from '../../../lib/random-id';
import { useCreateDeployment } from '../../deployments/api/create-deployment';
import { useDeployDeployment } from '../../deployments/api/deploy-deployment';
import { useServerValidation } from '../use-server-validation';
import {
  emptyWizardValues,
  platformDefaults,
  stepErrors,
  stepOfField,
  suggestName,
  toSpec,
  validateWizard,
  wizardSteps,
  type WizardValues,
} from '../wizard-model';
import { ModelStep } from './model-step';
import { PlatformStep } from './platform-step';
import { ResourcesStep } from './resources-step';
import { ReviewStep } from './review-step';

export interface DeploymentWizardProps {
  platforms: Platform[];
  existingNames: ReadonlySet<string>;
  /** Preselects a platform (`/new?platform=local`). */
  initialPlatform?: string | null;
}

const LAST_STEP = wizardSteps.length - 1;

/**
 * The four-step deployment wizard. It is one <form>: Enter moves to the next step (after validating
 * that step with the server's own schema), focus moves to the new step's heading, and the server's
 * problem+json answers are shown next to the fields they concern.
 */
export function DeploymentWizard({ platforms, existingNames, initialPlatform }: DeploymentWizardProps) {
  const navigate = useNavigate();
  const [active, setActive] = useState(0);
  const [deployNow, setDeployNow] = useState(true);
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [created, setCreated] = useState<Deployment | null>(null);
  const nameEdited = useRef(false);
  const idempotencyKey = useRef(randomId());
  const headingRef = useRef<HTMLHeadingElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const firstRender = useRef(true);
  // On a phone the step names do not fit beside each other; the panel below names the current step.
  const narrow = useMediaQuery('(max-width: 40em)') ?? false;
  const create = useCreateDeployment();
  const deploy = useDeployDeployment();

  const context = useMemo(() => ({ platforms }), [platforms]);
  // The server's dry-run answer, shown where the instant checks found nothing (read at render time).
  const serverErrors = useRef<Record<string, string>>({});
  const initialValues = useMemo(() => {
    // Smart default: the requested platform, else the first one that is ready to use.
    const preselected = platforms.find((platform) => platform.id === initialPlatform) ?? platforms.find((platform) => platform.configured);
    return preselected ? platformDefaults(preselected, emptyWizardValues, existingNames) : emptyWizardValues;
    // Only the first render decides the starting point.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const form = useForm<WizardValues>({
    mode: 'controlled',
    initialValues,
    validate: (values) => validateWizard(values, context),
    validateInputOnChange: true,
    validateInputOnBlur: true,
    enhanceGetInputProps: ({ field, inputProps }) => {
      const message = inputProps.error ? undefined : serverErrors.current[field];
      return message ? { error: message } : undefined;
    },
    onValuesChange: (values, previous) => {
      // Keep suggesting a name from model and adapter until the user types one.
      if (!nameEdited.current && (values.baseModel !== previous.baseModel || values.adapterId !== previous.adapterId)) {
        form.setFieldValue('name', suggestName(values.baseModel, values.adapterId, existingNames));
      }
    },
  });
  const platform = platforms.find((item) => item.id === form.values.platform);
  const envKeys = form.values.env.map((row) => row.key);
  const spec = toSpec(form.values);
  // Steps 2 and 3 are where platform rules bite; on a platform that is not ready there is nothing to check yet.
  const checksWithServer = (active === 1 || active === 2) && Boolean(platform?.configured);
  const server = useServerValidation(spec, { enabled: checksWithServer, envKeys });
  serverErrors.current = server.fields;

  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    headingRef.current?.focus();
  }, [active]);

  const choosePlatform = (id: string) => {
    const chosen = platforms.find((item) => item.id === id);
    if (!chosen || chosen.id === form.values.platform) return;
    nameEdited.current = false;
    form.setValues(platformDefaults(chosen, form.values, existingNames));
    form.clearErrors();
    setSubmitError(null);
  };

  const focusFirstError = () =>
    requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], [data-error="true"] input')?.focus());

  const goToStepOf = (errors: Record<string, string>): boolean => {
    const steps = Object.keys(errors)
      .map(stepOfField)
      .filter((step): step is number => step !== null);
    if (steps.length === 0) return false;
    setActive(Math.min(...steps));
    focusFirstError();
    return true;
  };

  const next = async () => {
    const errors = stepErrors(validateWizard(form.values, context), active);
    if (Object.keys(errors).length > 0) {
      form.setErrors({ ...form.errors, ...errors });
      focusFirstError();
      return;
    }
    if (checksWithServer) {
      // Waits for the dry run of exactly these values (the debounced one may still be on its way).
      const fromServer = await server.checkNow(toSpec(form.values), envKeys);
      if (fromServer && Object.keys(stepErrors(fromServer.fields, active)).length > 0) {
        focusFirstError();
        return;
      }
    }
    setActive((step) => Math.min(step + 1, LAST_STEP));
  };

  const submit = async () => {
    const errors = validateWizard(form.values, context);
    if (Object.keys(errors).length > 0) {
      form.setErrors(errors);
      goToStepOf(errors);
      return;
    }
    setSubmitError(null);
    let deployment = created;
    try {
      deployment ??= await create.mutateAsync({ spec: toSpec(form.values), idempotencyKey: idempotencyKey.current });
      setCreated(deployment);
      if (deployNow) deployment = await deploy.mutateAsync(deployment.id);
      notifications.show({
        color: deployNow ? 'blue' : 'green',
        title: deployNow ? `Deploying ${deployment.name}` : `${deployment.name} created`,
        message: deployNow ? 'Its status updates live; you will be told when it is active.' : 'Deploy it from its page when you are ready.',
      });
      navigate(`/deployments/${deployment.id}`);
    } catch (error) {
      setSubmitError(error);
      if (isApiError(error) && error.problem.issues?.length) {
        const mapped = mapIssues(error.problem.issues, { envKeys: form.values.env.map((row) => row.key) });
        form.setErrors(mapped.fields);
        goToStepOf(mapped.fields);
      }
    }
  };

  const busy = create.isPending || deploy.isPending;

  return (
    <form
      ref={formRef}
      noValidate
      aria-label="New deployment"
      onSubmit={(event) => {
        event.preventDefault();
        if (active === LAST_STEP) void submit();
        else void next();
      }}
    >
      <Stepper
        active={active}
        onStepClick={(step) => step < active && setActive(step)}
        allowNextStepsSelect={false}
        size="sm"
        mb="xl"
        aria-label="Progress"
      >
        {wizardSteps.map((step, index) => (
          <Stepper.Step
            key={step.label}
            label={narrow ? undefined : step.label}
            description={narrow ? undefined : step.description}
            aria-label={`Step ${index + 1}: ${step.label}`}
            aria-current={index === active ? 'step' : undefined}
          />
        ))}
      </Stepper>

      <Paper withBorder radius="md" p={{ base: 'md', sm: 'xl' }}>
        <Stack gap="lg">
          <div>
            <Text size="xs" c="dimmed" fw={700} tt="uppercase">
              Step {active + 1} of {wizardSteps.length}
            </Text>
            <Title order={2} fz="xl" ref={headingRef} tabIndex={-1} style={{ outline: 'none' }} data-testid="wizard-step-title">
              {stepTitles[active]}
            </Title>
          </div>

          {active === 0 && <PlatformStep platforms={platforms} value={form.values.platform} onChange={choosePlatform} error={form.errors['platform'] as string | undefined} />}
          {active === 1 && platform && <ModelStep form={form} platform={platform} onNameEdited={() => (nameEdited.current = true)} />}
          {active === 2 && platform && <ResourcesStep form={form} platform={platform} />}
          {active === 3 && platform && <ReviewStep spec={spec} platform={platform} deployNow={deployNow} onDeployNowChange={setDeployNow} />}

          {checksWithServer && server.other.length > 0 && (
            <Alert color="red" variant="light" title="The server would refuse this deployment" data-testid="server-issues">
              <Stack gap={2}>
                {server.other.map((issue) => (
                  <Text key={issue} size="sm">
                    {issue}
                  </Text>
                ))}
              </Stack>
            </Alert>
          )}

          {submitError ? (
            <Stack gap="xs" data-testid="wizard-error">
              <ProblemAlert
                error={submitError}
                title={created ? `${created.name} was created, but deploying it failed` : 'The server refused this deployment'}
                hintContext={{ missingCredentials: platform?.missingCredentials ?? [] }}
              />
              {created && (
                <Alert color="gray" variant="light">
                  <Anchor component={Link} to={`/deployments/${created.id}`}>
                    Open {created.name}
                  </Anchor>{' '}
                  to fix its platform settings, redeploy or delete it.
                </Alert>
              )}
            </Stack>
          ) : null}

          <Group justify="space-between" mt="sm">
            <Button variant="default" leftSection={<IconArrowLeft size={16} aria-hidden />} onClick={() => setActive((step) => Math.max(0, step - 1))} disabled={active === 0 || busy}>
              Back
            </Button>
            {active < LAST_STEP ? (
              <Button type="submit" rightSection={<IconArrowRight size={16} aria-hidden />}>
                Next
              </Button>
            ) : created ? (
              <Button component={Link} to={`/deployments/${created.id}`} variant="light">
                Open {created.name}
              </Button>
            ) : (
              <Button type="submit" loading={busy} leftSection={<IconRocket size={16} aria-hidden />} color="green">
                {deployNow ? 'Deploy' : 'Create'}
              </Button>
            )}
          </Group>
        </Stack>
      </Paper>
    </form>
  );
}

const stepTitles = ['Choose a platform', 'Pick the model and name it', 'Size it', 'Review and deploy'] as const;
